"""Negative binomial GLM pieces shared by edgeR's dispersion, QL and LRT code paths.

Every function works on a genes x samples matrix at once: the per-gene Newton iterations are
vectorised across genes.  The model is NB with log link, ``mu = exp(beta + offset)``,
``var = mu + phi mu^2`` (McCarthy, Chen & Smyth 2012).  Designs are one-way layouts (a factor,
as ``~0+group`` and its reduced models), where the maximum likelihood fit is one mean per
group, found by Newton's method to full precision.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

_TOL = 1e-13
_MAXIT = 100
_DEV_EPS = 1e-8


def nb_one_group(y: np.ndarray, offset: np.ndarray, dispersion: np.ndarray | float) -> np.ndarray:
    """Log-scale mean ``beta`` (genes,) of an intercept-only NB model per gene.

    ``y`` genes x samples, ``offset`` (samples,) or genes x samples (log library sizes),
    ``dispersion`` scalar or (genes,).  Rows of zeros give ``-inf``.
    """
    y = np.asarray(y, dtype=float)
    offset = np.broadcast_to(np.asarray(offset, dtype=float), y.shape)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=float).reshape(-1, 1), (y.shape[0], 1))
    total = y.sum(axis=1)
    lib = np.exp(offset)
    beta = np.full(y.shape[0], -np.inf)
    live = total > 0
    if not live.any():
        return beta
    yl, ol, pl = y[live], offset[live], phi[live]
    b = np.log(total[live] / lib[live].sum(axis=1))  # Poisson MLE as the start
    for _ in range(_MAXIT):
        mu = np.exp(b[:, None] + ol)
        denom = 1.0 + pl * mu
        score = ((yl - mu) / denom).sum(axis=1)
        info = (mu * (1.0 + pl * yl) / denom**2).sum(axis=1)
        step = score / info
        b = b + step
        if np.all(np.abs(step) < _TOL * np.maximum(1.0, np.abs(b))):
            break
    beta[live] = b
    return beta


def nb_one_way(
    y: np.ndarray, groups: np.ndarray, offset: np.ndarray, dispersion: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray]:
    """Fit one NB mean per group level; return (beta genes x levels, fitted genes x samples).

    ``groups`` (samples,) integer codes 0..L-1.  A level whose counts are all zero gets
    ``beta = -inf`` and fitted values 0.
    """
    y = np.asarray(y, dtype=float)
    offset = np.broadcast_to(np.asarray(offset, dtype=float), y.shape)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=float), (y.shape[0],))
    levels = int(groups.max()) + 1
    beta = np.empty((y.shape[0], levels))
    for g in range(levels):
        cols = groups == g
        beta[:, g] = nb_one_group(y[:, cols], offset[:, cols], phi)
    with np.errstate(over="ignore"):
        fitted = np.exp(beta[:, groups] + offset)
    return beta, fitted


def nb_unit_deviance(y: np.ndarray, mu: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Unit NB deviance ``2[y log(y/mu) - (y + 1/phi) log((1 + phi y)/(1 + phi mu))]``."""
    phi = np.broadcast_to(phi, y.shape)
    y, mu = y + _DEV_EPS, mu + _DEV_EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(y / mu), 0.0)
        pois = ylog - (y - mu)
        nb = ylog - (y + 1.0 / phi) * (np.log1p(phi * y) - np.log1p(phi * mu))
    dev = np.where(phi > 0, nb, pois)
    return 2.0 * np.where(mu > 0, dev, 0.0)


def nb_deviance(y: np.ndarray, mu: np.ndarray, dispersion: npt.ArrayLike) -> np.ndarray:
    """Residual deviance per gene (genes,)."""
    phi = np.asarray(dispersion, dtype=float).reshape(-1, 1) * np.ones((1, y.shape[1]))
    return nb_unit_deviance(y, mu, phi).sum(axis=1)


def nb_loglik(y: np.ndarray, mu: np.ndarray, phi: float) -> np.ndarray:
    """NB log-likelihood per gene; observations with ``mu == 0`` (and y = 0) contribute 0."""
    r = 1.0 / phi
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = (
            gammaln(y + r)
            - gammaln(r)
            - gammaln(y + 1.0)
            + r * (np.log(r) - np.log(r + mu))
            + np.where(y > 0, y * (np.log(mu) - np.log(r + mu)), 0.0)
        )
    return np.where(mu > 0, ll, 0.0).sum(axis=1)


def zero_groups(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """genes x levels: True where every count of the level is zero (its fit is exactly 0)."""
    levels = int(groups.max()) + 1
    return np.stack([~(y[:, groups == g] > 0).any(axis=1) for g in range(levels)], axis=1)


def residual_df_zeros(y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Residual df once samples fitted at zero are dropped (edgeR's zero-adjusted df)."""
    zero = zero_groups(y, groups)
    sizes = np.bincount(groups)
    kept_samples = (~zero * sizes).sum(axis=1)
    kept_levels = (~zero).sum(axis=1)
    return (kept_samples - kept_levels).astype(float)


def cox_reid_apl(y: np.ndarray, groups: np.ndarray, offset: np.ndarray, phi: float) -> np.ndarray:
    """Cox-Reid adjusted profile log-likelihood per gene for a one-way design.

    ``loglik(mu_hat) - 0.5 log det(X' W X)`` with working weights ``W = mu/(1 + phi mu)``;
    for a one-way layout X'WX is diagonal.  Levels fitted at zero drop out of both terms;
    genes left with as many samples as levels (nothing to estimate) get 0.
    """
    _, mu = nb_one_way(y, groups, offset, phi)
    ll = nb_loglik(y, mu, phi)
    w = mu / (1.0 + phi * mu)
    levels = int(groups.max()) + 1
    logdet = np.zeros(y.shape[0])
    for g in range(levels):
        s = w[:, groups == g].sum(axis=1)
        logdet += np.where(s > 0, np.log(np.where(s > 0, s, 1.0)), 0.0)
    apl = ll - 0.5 * logdet
    return np.where(residual_df_zeros(y, groups) > 0, apl, 0.0)
