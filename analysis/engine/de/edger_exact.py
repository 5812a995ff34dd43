"""Classic edgeR exact test for two groups (Robinson & Smyth 2008).

Counts are first mapped to pseudo-counts at the geometric-mean library size under the null
(one NB mean for both groups); the doubletail p-value is then the conditional probability,
given the total, of a group-1 sum at least as extreme as observed (twice the smaller tail),
from NB sums of sizes n1/phi and n2/phi.  When both sums exceed ``big_count`` a beta
approximation is used instead.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln
from scipy.stats import beta as beta_dist

from analysis.engine.de.edger_disp import q2q_nbinom
from analysis.engine.de.edger_glm import nb_one_group
from analysis.engine.de.edger_norm import add_prior_count


def _log_dnbinom(
    x: np.ndarray | float, size: np.ndarray | float, mu: np.ndarray | float
) -> np.ndarray:
    """log NB density with mean mu; -inf at negative x."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (
            gammaln(x + size)
            - gammaln(size)
            - gammaln(x + 1)
            + size * np.log(size / (size + mu))
            + np.where(x > 0, x * np.log(mu / (size + mu)), 0.0)
        )
    return np.where(x >= 0, out, -np.inf)


def _beta_approx(s1: np.ndarray, s2: np.ndarray, n1: int, n2: int, phi: np.ndarray) -> np.ndarray:
    s = s1 + s2
    mu = s / (n1 + n2)
    a1 = n1 * mu / (1 + phi * mu)
    a2 = n2 / n1 * a1
    med = beta_dist.median(a1, a2)
    p = np.ones_like(s)
    left = (s1 + 0.5) / s < med
    right = (s1 - 0.5) / s > med
    p = np.where(left, 2 * beta_dist.cdf((s1 + 0.5) / s, a1, a2), p)
    p = np.where(right, 2 * beta_dist.sf((s1 - 0.5) / s, a1, a2), p)
    return np.minimum(p, 1)


def _double_tail(
    y1: np.ndarray, y2: np.ndarray, phi: np.ndarray, big_count: float = 900
) -> np.ndarray:
    n1, n2 = y1.shape[1], y2.shape[1]
    s1, s2 = np.round(y1.sum(axis=1)), np.round(y2.sum(axis=1))
    s = s1 + s2
    mu1, mu2 = n1 * s / (n1 + n2), n2 * s / (n1 + n2)
    p = np.ones(len(s))
    big = (s1 > big_count) & (s2 > big_count)
    if big.any():
        p[big] = _beta_approx(y1[big].sum(axis=1), y2[big].sum(axis=1), n1, n2, phi[big])
    for idx, side in (
        (np.flatnonzero((s1 < mu1) & ~big), "left"),
        (np.flatnonzero((s1 > mu1) & ~big), "right"),
    ):
        if len(idx) == 0:
            continue
        # R's a:b runs downwards when b < a (negative rounded pseudo-count sums); terms at
        # negative counts have zero density, so summing over [min, max] is the same
        ends = (np.zeros(len(idx)), s1[idx]) if side == "left" else (s1[idx], s[idx])
        lo, hi = np.minimum(*ends), np.maximum(*ends)
        width = (hi - lo).astype(np.int64) + 1
        row = np.repeat(np.arange(len(idx)), width)
        x = lo[row] + (np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width))
        g = idx[row]
        log_top = _log_dnbinom(x, n1 / phi[g], mu1[g]) + _log_dnbinom(s[g] - x, n2 / phi[g], mu2[g])
        top = np.bincount(row, weights=np.exp(log_top), minlength=len(idx))
        p[idx] = 2 * top / np.exp(_log_dnbinom(s[idx], (n1 + n2) / phi[idx], s[idx]))
    return np.minimum(p, 1)


def exact_test(
    counts: npt.ArrayLike,
    groups: np.ndarray,
    lib_size: np.ndarray,
    dispersion: npt.ArrayLike,
    pair: tuple[int, int] = (0, 1),
    prior_count: float = 0.125,
) -> tuple[np.ndarray, np.ndarray]:
    """logFC (pair[1] vs pair[0], log2) and exact p-values (genes,) for two group codes."""
    y = np.asarray(counts, dtype=float)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=float), (y.shape[0],)).copy()
    j1, j2 = groups == pair[0], groups == pair[1]
    keep = j1 | j2
    y, lib, j1, j2 = y[:, keep], lib_size[keep], j1[keep], j2[keep]
    y_aug, log_lib_aug = add_prior_count(y, lib, prior_count)
    a1 = nb_one_group(y_aug[:, j1], log_lib_aug[j1], phi)
    a2 = nb_one_group(y_aug[:, j2], log_lib_aug[j2], phi)
    log_fc = (a2 - a1) / np.log(2)
    abundance = np.exp(nb_one_group(y, np.log(lib), phi))
    lib_avg = np.exp(np.mean(np.log(lib)))
    pseudo = []
    for cols in (j1, j2):
        mi = abundance[:, None] * lib[cols][None, :]
        mo = np.repeat(abundance[:, None] * lib_avg, cols.sum(), axis=1)
        pseudo.append(q2q_nbinom(y[:, cols], mi, mo, phi))
    return log_fc, _double_tail(pseudo[0], pseudo[1], phi)
