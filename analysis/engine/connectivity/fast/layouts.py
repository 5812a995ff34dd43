"""The screening layouts of a block of signatures: what the store writes (``signatures.io``)
and what an in-memory library holds (``library``), from one definition.

Pure numpy: the store streams blocks of a library through ``derive_block``; the in-memory
builder passes the whole matrix as one block.
"""

import numpy as np

from analysis.engine.connectivity.fast.extreme import extreme_rows, kept_values


def quantize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """int8 codes of each row of values (B, G): v ≈ scale·code, scale = max|v|/127 per row.

    Returns (codes, scale (B,), err (B,)) with err = ‖v − scale·code‖₂ over the row (float64,
    the exact rounding residual: the screening error bounds use it).
    """
    scale = np.abs(values).max(axis=1) / 127.0
    safe = np.where(scale > 0, scale, 1.0)
    codes = np.rint(values / safe[:, None]).astype(np.int8)
    resid = values - codes * scale[:, None]
    return codes, scale, np.sqrt((resid * resid).sum(axis=1))


def derive_block(
    y: np.ndarray, p: np.ndarray | None, gene_order: np.ndarray, *, n_extreme: int, p_floor: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """Screening layouts and per-signature moments of a block of signatures (rows).

    y, p: float64 (B, G) signature-major (p may be None). Returns (codes, moments, extreme):
    codes = int8 (B, G) per layout (``y`` logFC, ``b`` −log10 p, ``e`` extreme vector; NaN
    -> 0), moments = float64 (B,) per name in ``signatures.io.MOMENTS`` (exact sums of the
    float64 values, the int8 scales and rounding residual norms), extreme = (ext_index
    (B, 2·n_extreme) int16, ext_value (B, 2·n_extreme) float64) or None.
    """
    y = np.asarray(y, dtype=np.float64)
    fin = np.isfinite(y)
    y0 = np.where(fin, y, 0.0)
    dense = {"y": y0}
    moments = {"n": fin.sum(axis=1).astype(np.float64)}
    extreme = None
    if p is not None:
        p = np.asarray(p, dtype=np.float64)
        ok = fin & np.isfinite(p)
        b = np.where(ok, -np.log10(np.fmax(np.where(ok, p, 1.0), p_floor)), 0.0)
        s = np.where(ok, np.sign(y0) * b, np.nan)
        dense["b"] = b
        dense["e"], ext_index = extreme_rows(s, gene_order, n_extreme)
        extreme = (ext_index, kept_values(dense["e"], ext_index))
        moments["by_sum"] = (b * y0).sum(axis=1)
        moments["by2_sum"] = (b * y0 * y0).sum(axis=1)
    codes = {}
    for name, values in dense.items():
        moments[f"{name}_sum"] = values.sum(axis=1)
        moments[f"{name}_sq"] = (values * values).sum(axis=1)
        codes[name], moments[f"{name}_scale"], moments[f"{name}_err"] = quantize(values)
    return codes, moments, extreme
