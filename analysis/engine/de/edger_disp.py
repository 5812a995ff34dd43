"""NB dispersion estimation as edgeR's estimateDisp (McCarthy, Chen & Smyth 2012).

GLM mode (a one-way design): Cox-Reid adjusted profile likelihood of every gene on a grid of
21 dispersions ``0.1 * 2^(-10..10)``; the common dispersion maximises the summed
likelihood; the trend is a local-constant smooth of the likelihood curves against AveLogCPM
(locfit, span ``0.25 + 0.75 sqrt(50/n)``); tagwise dispersions maximise the weighted
likelihood ``l_g + prior_n * trend`` where ``prior_n = prior_df / (samples - coefficients)``
and prior_df comes from squeezing the QL deviances at the trended dispersion.

Classic mode (no design): the same with the conditional likelihood of quantile-adjusted
pseudo-counts (Robinson & Smyth 2008) and a qCML common dispersion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import fminbound
from scipy.special import gammainccinv, gammaincinv, gammaln, ndtri_exp
from scipy.stats import gamma as gamma_dist
from scipy.stats import norm

from analysis.engine.de.edger_glm import (
    cox_reid_apl,
    nb_deviance,
    nb_one_group,
    nb_one_way,
    residual_df_zeros,
)
from analysis.engine.de.edger_norm import ave_log_cpm
from analysis.engine.de.edger_smooth import locfit_constant, maximize_interpolant, squeeze_var

GRID = np.linspace(-10, 10, 21)


@dataclass(frozen=True)
class Dispersions:
    """estimateDisp's output; arrays are per gene (genes,)."""

    common: float
    trended: np.ndarray
    tagwise: np.ndarray
    ave_log_cpm: np.ndarray
    prior_df: float | np.ndarray  # gene-wise (selected genes) when robust
    span: float


def q2q_nbinom(
    x: npt.ArrayLike,
    input_mean: npt.ArrayLike,
    output_mean: npt.ArrayLike,
    dispersion: npt.ArrayLike,
) -> np.ndarray:
    """Quantile-to-quantile map between NB means (average of normal and gamma approximations)."""
    x = np.asarray(x, dtype=float)
    mi = np.array(input_mean, dtype=float)
    mo = np.array(output_mean, dtype=float)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=float).reshape(-1, 1), x.shape)
    zero = (mi <= 0) | (mo <= 0)
    mi[zero] += 0.25
    mo[zero] += 0.25
    ri, ro = 1 + phi * mi, 1 + phi * mo
    sd_i, sd_o = np.sqrt(mi * ri), np.sqrt(mo * ro)
    upper = x >= mi
    with np.errstate(divide="ignore"):
        p1 = np.where(upper, norm.logsf(x, mi, sd_i), norm.logcdf(x, mi, sd_i))
        p2 = np.where(
            upper,
            gamma_dist.logsf(x, mi / ri, scale=ri),
            gamma_dist.logcdf(x, mi / ri, scale=ri),
        )
    q1 = np.where(upper, mo - sd_o * ndtri_exp(p1), mo + sd_o * ndtri_exp(p1))
    q2 = np.where(
        upper,
        gammainccinv(mo / ro, np.exp(p2)) * ro,
        gammaincinv(mo / ro, np.exp(p2)) * ro,
    )
    return (q1 + q2) / 2


def equalize_lib_sizes(
    y: np.ndarray, groups: np.ndarray, dispersion: np.ndarray | float, lib_size: np.ndarray
) -> np.ndarray:
    """Pseudo-counts at the geometric-mean library size, group means kept (classic edgeR)."""
    common = np.exp(np.mean(np.log(lib_size)))
    mi = np.zeros_like(y, dtype=float)
    mo = np.zeros_like(y, dtype=float)
    for g in np.unique(groups):
        cols = groups == g
        lam = np.exp(nb_one_group(y[:, cols], np.log(lib_size[cols]), dispersion))
        mi[:, cols] = lam[:, None] * lib_size[cols][None, :]
        mo[:, cols] = lam[:, None] * common
    pseudo = q2q_nbinom(y, mi, mo, dispersion)
    return np.maximum(pseudo, 0)


def cond_loglik_delta(y: np.ndarray, delta: float) -> np.ndarray:
    """Conditional NB log-likelihood of equal-library counts given their sum, delta = phi/(1+phi)."""
    r = 1 / delta - 1
    n = y.shape[1]
    t = y.sum(axis=1)
    return gammaln(y + r).sum(axis=1) + gammaln(n * r) - gammaln(n * r + t) - n * gammaln(r)


def _classic_loglik(
    y: np.ndarray, groups: np.ndarray, lib_size: np.ndarray, sel: np.ndarray, tol: float
) -> np.ndarray:
    def split_ll(pseudo: np.ndarray, delta: float) -> np.ndarray:
        parts = (cond_loglik_delta(pseudo[:, groups == g], delta) for g in np.unique(groups))
        return sum(parts, np.zeros(len(pseudo)))

    pseudo = equalize_lib_sizes(y, groups, 0.01, lib_size)[sel]
    delta = fminbound(lambda d: -split_ll(pseudo, d).sum(), 1e-4, 100 / 101, xtol=tol)
    disp = delta / (1 - delta)
    pseudo = equalize_lib_sizes(y, groups, disp, lib_size)[sel]
    grid = 0.1 * 2**GRID
    return np.column_stack([split_ll(pseudo, d / (1 + d)) for d in grid])


def _apl_grid(y: np.ndarray, groups: np.ndarray, offset: np.ndarray) -> np.ndarray:
    return np.column_stack([cox_reid_apl(y, groups, offset, 0.1 * 2**s) for s in GRID])


def estimate_disp(
    counts: np.ndarray,
    groups: np.ndarray,
    lib_size: np.ndarray,
    *,
    classic: bool = False,
    robust: bool = False,
    min_row_sum: float = 5,
    tol: float = 1e-6,
) -> Dispersions:
    """Common, trended and tagwise NB dispersions of a one-way layout.

    ``counts`` genes x samples, ``groups`` integer codes (samples,), ``lib_size`` effective
    library sizes (lib.size * norm.factors).  ``classic=True`` is estimateDisp without a
    design (qCML with pseudo-counts); otherwise Cox-Reid APL with the ``~0+group`` design.
    ``robust=True`` takes prior_df gene-wise from the robust squeezeVar (Phipson et al. 2016);
    genes with a near-infinite prior keep their trended dispersion.
    """
    y = np.asarray(counts, dtype=float)
    offset = np.log(lib_size)
    n_genes, n_libs = y.shape
    sel = y.sum(axis=1) >= min_row_sum
    if classic:
        l0 = _classic_loglik(y, groups, lib_size, sel, tol)
    else:
        l0 = _apl_grid(y[sel], groups, offset)
    common = float(0.1 * 2 ** maximize_interpolant(GRID, l0.sum(axis=0))[0])
    ave = ave_log_cpm(y, lib_size, dispersion=common)
    n_sel = int(sel.sum())
    span = 1.0 if n_sel <= 50 else 0.25 + 0.75 * (50 / n_sel) ** 0.5
    m0 = locfit_constant(ave[sel], l0, span)
    disp_trend = 0.1 * 2 ** maximize_interpolant(GRID, m0)
    trended = np.full(n_genes, disp_trend[np.argmin(ave[sel])])
    trended[sel] = disp_trend

    _, mu = nb_one_way(y[sel], groups, offset, disp_trend)
    df_res = residual_df_zeros(y[sel], groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(df_res > 0, nb_deviance(y[sel], mu, disp_trend) / df_res, 0.0)
    _, _, prior_df = squeeze_var(np.maximum(s2, 0), df_res, covariate=ave[sel], robust=robust)
    n_coef = len(np.unique(groups))
    prior_n = np.broadcast_to(np.asarray(prior_df, dtype=float) / (n_libs - n_coef), (n_sel,))
    too_large = prior_n > 1e6
    tagwise = trended.copy()
    if not too_large.all():
        weighted = l0 + np.minimum(prior_n, 1e6)[:, None] * m0
        individual = 0.1 * 2 ** maximize_interpolant(GRID, weighted)
        tagwise_sel = tagwise[sel]
        tagwise_sel[~too_large] = individual[~too_large]
        tagwise[sel] = tagwise_sel
    return Dispersions(common, trended, tagwise, ave, prior_df, span)
