"""Library-size normalisation and abundance for count data (edgeR semantics).

- ``calc_norm_factors_tmm``: trimmed mean of M-values (Robinson & Oshlack 2010), reference
  sample = the one whose upper quartile is closest to the mean upper quartile, 30% / 5%
  trimming of log-ratios / abundances, precision weights; factors scaled to geometric mean 1.
- ``filter_by_expr``: edgeR's filterByExpr rule (Chen, Lun & Smyth 2016).
- ``cpm`` and ``ave_log_cpm``: counts per million with library-size-scaled prior counts.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from analysis.engine.de.edger_glm import nb_one_group


def _tmm_factor(
    obs: np.ndarray,
    ref: np.ndarray,
    lib_obs: float,
    lib_ref: float,
    logratio_trim: float = 0.3,
    sum_trim: float = 0.05,
) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.log2((obs / lib_obs) / (ref / lib_ref))
        abs_e = (np.log2(obs / lib_obs) + np.log2(ref / lib_ref)) / 2
        v = (lib_obs - obs) / lib_obs / obs + (lib_ref - ref) / lib_ref / ref
    fin = np.isfinite(log_r) & np.isfinite(abs_e)
    log_r, abs_e, v = log_r[fin], abs_e[fin], v[fin]
    if len(log_r) == 0 or np.max(np.abs(log_r)) < 1e-6:
        return 1.0
    n = len(log_r)
    lo_l, lo_s = np.floor(n * logratio_trim) + 1, np.floor(n * sum_trim) + 1
    hi_l, hi_s = n + 1 - lo_l, n + 1 - lo_s
    rank_r, rank_e = rankdata(log_r), rankdata(abs_e)
    keep = (rank_r >= lo_l) & (rank_r <= hi_l) & (rank_e >= lo_s) & (rank_e <= hi_s)
    f = np.sum(log_r[keep] / v[keep]) / np.sum(1 / v[keep])
    return float(2**f) if np.isfinite(f) else 1.0


def calc_norm_factors_tmm(counts: np.ndarray, lib_size: np.ndarray | None = None) -> np.ndarray:
    """TMM normalisation factors (samples,) of a genes x samples count matrix."""
    x = np.asarray(counts, dtype=float)
    lib = x.sum(axis=0) if lib_size is None else np.asarray(lib_size, dtype=float)
    x = x[(x > 0).any(axis=1)]
    upper_q = np.quantile(x / lib, 0.75, axis=0)
    if np.median(upper_q) < 1e-20:
        ref = int(np.argmax(np.sqrt(x).sum(axis=0)))
    else:
        ref = int(np.argmin(np.abs(upper_q - upper_q.mean())))
    f = np.array([_tmm_factor(x[:, i], x[:, ref], lib[i], lib[ref]) for i in range(x.shape[1])])
    return f / np.exp(np.mean(np.log(f)))


def filter_by_expr(
    counts: np.ndarray,
    group: np.ndarray,
    lib_size: np.ndarray | None = None,
    min_count: float = 10,
    min_total_count: float = 15,
    large_n: int = 10,
    min_prop: float = 0.7,
) -> np.ndarray:
    """Boolean (genes,): enough CPM in at least the smallest group's worth of samples."""
    x = np.asarray(counts, dtype=float)
    lib = x.sum(axis=0) if lib_size is None else np.asarray(lib_size, dtype=float)
    _, sizes = np.unique(np.asarray(group), return_counts=True)
    min_size = float(sizes[sizes > 0].min())
    if min_size > large_n:
        min_size = large_n + (min_size - large_n) * min_prop
    cutoff = min_count / np.median(lib) * 1e6
    tol = 1e-14
    keep_cpm = (cpm(x, lib) >= cutoff).sum(axis=1) >= min_size - tol
    return keep_cpm & (x.sum(axis=1) >= min_total_count - tol)


def add_prior_count(
    y: np.ndarray, lib_size: np.ndarray, prior_count: float
) -> tuple[np.ndarray, np.ndarray]:
    """Prior counts scaled by library size; returns (y + prior, adjusted log library size)."""
    lib = np.asarray(lib_size, dtype=float)
    scaled = prior_count * lib / lib.mean()
    return np.asarray(y, dtype=float) + scaled, np.log(lib + 2 * scaled)


def cpm(
    counts: np.ndarray, lib_size: np.ndarray, log: bool = False, prior_count: float = 2
) -> np.ndarray:
    """Counts per million of ``lib_size`` (effective library sizes, samples,)."""
    if not log:
        return np.asarray(counts, dtype=float) / np.asarray(lib_size, dtype=float) * 1e6
    y, log_lib = add_prior_count(counts, lib_size, prior_count)
    return np.log2(y / np.exp(log_lib) * 1e6)


def ave_log_cpm(
    counts: np.ndarray, lib_size: np.ndarray, dispersion: float = 0.05, prior_count: float = 2
) -> np.ndarray:
    """edgeR's aveLogCPM: log2 CPM of the NB one-group mean fitted with prior counts."""
    y, log_lib = add_prior_count(counts, lib_size, prior_count)
    beta = nb_one_group(y, log_lib, dispersion)
    return (beta + np.log(1e6)) / np.log(2)
