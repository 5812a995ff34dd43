"""In-memory libraries with the store's layouts, for the fast connectivity path.

``arrays_library`` builds, from a (G, S) logFC matrix (and p-values), the object ``score``
scores, with the layouts ``signatures.io`` writes to disk (``docs/store.md``): tests compare
the two, and the ``connectivity`` command scores matrix files given on the command line with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from analysis.engine.connectivity.fast.layouts import derive_block
from analysis.engine.stats import P_FLOOR


class Library(Protocol):
    """What the fast path reads of a library: ``signatures.io.LibraryMatrices`` (the store,
    memory-mapped) or an :class:`ArraysLibrary` (in memory). Shapes as documented there."""

    @property
    def genes(self) -> np.ndarray: ...
    @property
    def signature_ids(self) -> Sequence[str]: ...
    @property
    def logfc(self) -> np.ndarray: ...
    @property
    def pvalue(self) -> np.ndarray | None: ...
    @property
    def layouts(self) -> Mapping[str, np.ndarray]: ...
    @property
    def moments(self) -> Mapping[str, np.ndarray]: ...
    @property
    def nan_columns(self) -> np.ndarray: ...
    @property
    def ext_index(self) -> np.ndarray | None: ...
    @property
    def ext_value(self) -> np.ndarray | None: ...
    @property
    def n_extreme(self) -> int: ...
    @property
    def p_floor(self) -> float: ...


@dataclass(frozen=True, eq=False)
class ArraysLibrary:
    """An in-memory library with the store's layouts (tests, files given on the command line)."""

    genes: np.ndarray
    signature_ids: tuple[str, ...]
    logfc: np.ndarray
    pvalue: np.ndarray | None
    layouts: dict[str, np.ndarray] = field(default_factory=dict)
    moments: dict[str, np.ndarray] = field(default_factory=dict)
    nan_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ext_index: np.ndarray | None = None
    ext_value: np.ndarray | None = None
    n_extreme: int = 100
    p_floor: float = P_FLOOR
    version: str = "in-memory"


TILE = 4096  # columns per tile of the int8 layouts (as signatures.io stores them)


def tiled(codes: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Signature-major codes (S, G) as tiles (ceil(S / tile), G, tile), zero padded."""
    n_sig, n_genes = codes.shape
    out = np.zeros(((n_sig + tile - 1) // tile, n_genes, tile), dtype=codes.dtype)
    for t in range(out.shape[0]):
        part = codes[t * tile : (t + 1) * tile]
        out[t, :, : len(part)] = part.T
    return out


def arrays_library(
    genes: npt.ArrayLike,
    logfc: npt.ArrayLike,
    pvalue: npt.ArrayLike | None,
    signature_ids: Sequence[str],
    *,
    n_extreme: int = 100,
    p_floor: float = P_FLOOR,
) -> ArraysLibrary:
    """Build the layouts of a (G, S) library in memory, as ``signatures.io`` does on disk."""
    genes = np.asarray(genes, dtype=np.int64)
    y = np.ascontiguousarray(np.asarray(logfc, dtype=np.float64).T)
    p = None if pvalue is None else np.ascontiguousarray(np.asarray(pvalue, dtype=np.float64).T)
    order = np.argsort(genes, kind="stable")
    codes, mom, extreme = derive_block(y, p, order, n_extreme=n_extreme, p_floor=p_floor)
    ext_index, ext_value = extreme or (None, None)
    bad = ~np.isfinite(y)
    if p is not None:
        bad |= ~np.isfinite(p)
    return ArraysLibrary(
        genes=genes,
        signature_ids=tuple(signature_ids),
        logfc=y.T,
        pvalue=None if p is None else p.T,
        layouts={name: tiled(values) for name, values in codes.items()},
        moments=mom,
        nan_columns=np.flatnonzero(bad.any(axis=1)).astype(np.int64),
        ext_index=ext_index,
        ext_value=ext_value,
        n_extreme=n_extreme,
        p_floor=p_floor,
    )
