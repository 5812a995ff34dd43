"""The fast connectivity path: a query scored against a stored (or in-memory) library.

``score`` plans, screens and chooses the rows; ``kernels`` are the numba screening kernels;
``exact`` re-scores and selects rows; ``fdr`` makes the returned rows' FDR exact; ``state``
is the one type the last three share (the query's scores, screened until re-scored);
``library`` builds an in-memory library; ``layouts`` and ``extreme`` define the int8
screening layouts the store writes.
"""

from analysis.engine.connectivity.fast.layouts import derive_block
from analysis.engine.connectivity.fast.library import ArraysLibrary, arrays_library
from analysis.engine.connectivity.fast.score import FastResult, fast_connectivity
from analysis.engine.connectivity.fast.state import ORDERS, Screen, State

__all__ = [
    "ORDERS",
    "ArraysLibrary",
    "FastResult",
    "Screen",
    "State",
    "arrays_library",
    "derive_block",
    "fast_connectivity",
]
