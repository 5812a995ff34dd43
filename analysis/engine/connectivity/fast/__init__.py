"""The fast connectivity path: a query scored against a stored (or in-memory) library.

``score`` plans, screens and chooses the rows; ``kernels`` are the numba screening kernels;
``exact`` re-scores and selects rows; ``fdr`` makes the returned rows' FDR exact; ``library``
builds an in-memory library; ``layouts`` and ``extreme`` define the int8 screening layouts the
store writes.
"""

from analysis.engine.connectivity.fast.layouts import derive_block
from analysis.engine.connectivity.fast.library import ArraysLibrary, arrays_library
from analysis.engine.connectivity.fast.score import ORDERS, FastResult, fast_connectivity

__all__ = [
    "ORDERS",
    "ArraysLibrary",
    "FastResult",
    "arrays_library",
    "derive_block",
    "fast_connectivity",
]
