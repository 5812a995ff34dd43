"""In-memory libraries with the store's layouts, for the fast connectivity path.

``arrays_library`` builds, from a (G, S) logFC matrix (and p-values), the object
``analysis.engine.fastconn`` scores, with the layouts ``signatures.io`` writes to disk
(``docs/store.md``): tests compare the two, and the ``connectivity`` command scores matrix
files given on the command line with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analysis.engine.stats import P_FLOOR
from lib.extreme import extreme_rows, kept_values


@dataclass(frozen=True, eq=False)
class ArraysLibrary:
    """An in-memory library with the store's layouts (tests, files given on the command line)."""

    genes: np.ndarray
    signature_ids: tuple[str, ...]
    logfc: np.ndarray
    pvalue: np.ndarray | None
    layouts: dict = field(default_factory=dict)
    moments: dict = field(default_factory=dict)
    nan_columns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    ext_index: np.ndarray | None = None
    ext_value: np.ndarray | None = None
    n_extreme: int = 100
    p_floor: float = P_FLOOR
    version: str = "in-memory"


def _quantize(values: np.ndarray):
    scale = np.abs(values).max(axis=1) / 127.0
    safe = np.where(scale > 0, scale, 1.0)
    codes = np.rint(values / safe[:, None]).astype(np.int8)
    resid = values - codes * scale[:, None]
    return codes, scale, np.sqrt((resid * resid).sum(axis=1))


TILE = 4096  # columns per tile of the int8 layouts (as signatures.io stores them)


def tiled(codes: np.ndarray, tile: int = TILE) -> np.ndarray:
    """Signature-major codes (S, G) as tiles (ceil(S / tile), G, tile), zero padded."""
    n_sig, n_genes = codes.shape
    out = np.zeros(((n_sig + tile - 1) // tile, n_genes, tile), dtype=codes.dtype)
    for t in range(out.shape[0]):
        part = codes[t * tile : (t + 1) * tile]
        out[t, :, : len(part)] = part.T
    return out


def arrays_library(genes, logfc, pvalue, signature_ids, *, n_extreme: int = 100, p_floor=P_FLOOR):
    """Build the layouts of a (G, S) library in memory, as ``signatures.io`` does on disk."""
    genes = np.asarray(genes, dtype=np.int64)
    y = np.ascontiguousarray(np.asarray(logfc, dtype=np.float64).T)
    p = None if pvalue is None else np.ascontiguousarray(np.asarray(pvalue, dtype=np.float64).T)
    fin = np.isfinite(y)
    y0 = np.where(fin, y, 0.0)
    dense = {"y": y0}
    mom = {"n": fin.sum(axis=1).astype(np.float64)}
    bad = ~fin
    ext_index = ext_value = None
    if p is not None:
        ok = fin & np.isfinite(p)
        bad |= ~np.isfinite(p)
        b = np.where(ok, -np.log10(np.fmax(np.where(ok, p, 1.0), p_floor)), 0.0)
        s = np.where(ok, np.sign(y0) * b, np.nan)
        dense["b"] = b
        dense["e"], ext_index = extreme_rows(s, np.argsort(genes, kind="stable"), n_extreme)
        ext_value = kept_values(dense["e"], ext_index)
        mom["by_sum"], mom["by2_sum"] = (b * y0).sum(axis=1), (b * y0 * y0).sum(axis=1)
    layouts = {}
    for name, values in dense.items():
        mom[f"{name}_sum"], mom[f"{name}_sq"] = values.sum(axis=1), (values * values).sum(axis=1)
        codes, mom[f"{name}_scale"], mom[f"{name}_err"] = _quantize(values)
        layouts[name] = tiled(codes)
    return ArraysLibrary(
        genes=genes,
        signature_ids=tuple(signature_ids),
        logfc=y.T,
        pvalue=None if p is None else p.T,
        layouts=layouts,
        moments=mom,
        nan_columns=np.flatnonzero(bad.any(axis=1)).astype(np.int64),
        ext_index=ext_index,
        ext_value=ext_value,
        n_extreme=n_extreme,
        p_floor=p_floor,
    )
