"""Small statistical helpers shared by the connectivity and enrichment code.

Everything here is plain numpy/scipy and works on float64 arrays. NaN means "no value" and is
propagated, never silently turned into a number.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _special

#: The smallest p-value used before taking a logarithm. Library p-values are stored as float32
#: (``signatures.io``), whose smallest normal number is 1.1754944e-38: below it float32 loses
#: precision and eventually rounds to 0. Clamping every p-value (query and library alike) to
#: this value puts both on the same scale and bounds the signed significance at
#: |s| = -log10(1.1754944e-38) ≈ 37.93, so that a single p = 0 cannot dominate a correlation
#: the way the double-precision floor (|s| ≈ 307.65) would.
P_FLOOR: float = float(np.finfo(np.float32).tiny)


def neg_log10_p(p: np.ndarray, *, floor: float = P_FLOOR) -> np.ndarray:
    """−log10(max(p, floor)), element-wise; NaN stays NaN."""
    p = np.asarray(p, dtype=np.float64)
    return -np.log10(np.maximum(p, floor))


def signed_significance(logfc: np.ndarray, p: np.ndarray, *, floor: float = P_FLOOR) -> np.ndarray:
    """s = sign(logFC) · (−log10 p) (iLINCS paper, Methods eq. 1), p clamped to ``floor``."""
    return np.sign(np.asarray(logfc, dtype=np.float64)) * neg_log10_p(p, floor=floor)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation (two-pass, centred), clipped to [−1, 1]; NaN if either is constant."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dx = x - x.mean()
    dy = y - y.mean()
    sxx = np.dot(dx, dx)
    syy = np.dot(dy, dy)
    if len(x) < 2 or sxx == 0 or syy == 0:
        return float("nan")
    return float(np.clip(np.dot(dx, dy) / np.sqrt(sxx * syy), -1.0, 1.0))


def weighted_pearson(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted Pearson correlation with weighted means; NaN if undefined.

    r_w = Σ w(x − m_x)(y − m_y) / sqrt(Σ w(x − m_x)² · Σ w(y − m_y)²), m_x = Σ w x / Σ w.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    sw = w.sum()
    if not sw > 0:
        return float("nan")
    dx = x - np.dot(w, x) / sw
    dy = y - np.dot(w, y) / sw
    den = np.sqrt(np.dot(w * dx, dx) * np.dot(w * dy, dy))
    if not den > 0:
        return float("nan")
    return float(np.dot(w * dx, dy) / den)


def p_from_r(r: np.ndarray | float, n: np.ndarray | int) -> np.ndarray:
    """Two-sided p-value of a correlation r over n pairs: t = r·sqrt((n−2)/(1−r²)), n−2 df.

    This is ``cor.test``'s p-value, and reproduces the p-values printed by the iLINCS API from
    (similarity, nGenes). |r| = 1 gives 0; n < 3 or a NaN r gives NaN.
    """
    r = np.asarray(r, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    df = n - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt(df / (1.0 - r * r))
        p = 2.0 * _special.stdtr(df, -np.abs(t))  # t.sf(|t|, df), without its overhead
    p = np.where(np.abs(r) >= 1, 0.0, p)
    return np.where((df >= 1) & np.isfinite(r), p, np.nan)


def bh_fdr(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (R ``p.adjust(p, "BH")``); NaNs are left out.

    The family is the finite p-values only: m = their number, NaN in gives NaN out.
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")[::-1]]
    ranks = np.arange(m, 0, -1, dtype=np.float64)
    adjusted = np.minimum.accumulate(p[order] * m / ranks)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def random_set_z(
    set_mean: np.ndarray | float,
    set_size: np.ndarray | int,
    pop_mean: np.ndarray | float,
    pop_var: np.ndarray | float,
    pop_size: np.ndarray | int,
) -> np.ndarray:
    """z of a set mean against random sets of the same size drawn without replacement.

    Random-set analysis (Newton et al. 2007, Ann. Appl. Stat. 1:85): the mean of k values drawn
    without replacement from a population of N with mean μ and variance σ² (divisor N) has mean
    μ and variance σ²/k · (N − k)/(N − 1) (finite-population correction). NaN when that
    variance is 0 (k = N, or a constant population) or k < 1.
    """
    k = np.asarray(set_size, dtype=np.float64)
    n = np.asarray(pop_size, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.asarray(pop_var, dtype=np.float64) / k * (n - k) / (n - 1.0)
        z = (np.asarray(set_mean, dtype=np.float64) - pop_mean) / np.sqrt(var)
    return np.where((k >= 1) & (var > 0), z, np.nan)
