"""limma-style differential expression: linear models, contrasts, empirical Bayes, top table.

Implements, in numpy/scipy, the moderated t-statistic of

- Smyth GK (2004) Linear models and empirical Bayes methods for assessing differential
  expression in microarray experiments. Stat Appl Genet Mol Biol 3:3 — gene-wise least
  squares, a scaled inverse-chi-square prior on the gene variances whose scale ``s2.prior``
  and degrees of freedom ``df.prior`` are estimated by matching the first two moments of
  ``log s_g^2`` (the moments of log F, with digamma/trigamma), posterior variances
  ``s2.post = (df*s2 + df.prior*s2.prior)/(df + df.prior)``, moderated t on
  ``df + df.prior`` degrees of freedom and the log-odds B of differential expression
  (prior proportion 0.01, prior coefficient stdev limited to [0.1, 4]).
- ``trend=True`` (limma-trend, Law et al. 2014 Genome Biol 15:R29): ``s2.prior`` depends on
  the average log-expression; ``log s_g^2`` (bias-corrected) is regressed on AveExpr by a
  natural cubic regression spline with up to 4 df (knots at quantiles), as limma 3.54 does.
- ``robust=True``: Phipson B, Lee S, Majewski IJ, Alexander WS, Smyth GK (2016) Robust
  hyperparameter estimation protects against hypervariable genes and improves power to detect
  differential expression. Ann Appl Stat 10:946 — Winsorised log-variances (tails 0.05 and
  0.1), ``df.prior`` found by matching the Winsorised variance of log F (Gauss–Legendre
  quadrature, Brent root finding), and a gene-wise ``df.prior`` shrunk for likely outliers.

Missing values: each gene is fitted on its observed samples, with its own residual df
(genes are grouped by missingness pattern so each pattern is one matrix solve). A contrast
that involves a coefficient a gene cannot estimate gives NA statistics, while the gene's
variance still enters the prior. With unequal residual df the hyper-parameters are limma's
moment estimates with gene-wise df (the "legacy" estimator of limma < 3.56). Constant genes
(zero variance) are offset to ``1e-5 * median`` variance inside the prior fit only.

Shapes: ``G`` genes, ``n`` samples, ``p`` coefficients. Values are log-expression (log2 for
"logFC" to mean log2 fold change); variances are in squared log-expression units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from analysis.engine.design import TwoGroupDesign, numeric_matrix, two_group_design

TOP_TABLE_COLUMNS = ("gene", "logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B")
_NON_ESTIMABLE = 1e30  # stand-in stdev of an NA coefficient, so a zero contrast entry clears it


@dataclass(frozen=True)
class LinearFit:
    """Gene-wise least-squares fit (``lmFit``) or a contrast of it (``contrasts_fit``).

    coefficients, stdev_unscaled: G x p (NaN where not estimable); sigma, df_residual,
    amean: G; cov_coefficients: p x p unscaled covariance ``(X'X)^-1`` of the full design.
    """

    coefficients: np.ndarray
    stdev_unscaled: np.ndarray
    sigma: np.ndarray
    df_residual: np.ndarray
    amean: np.ndarray
    cov_coefficients: np.ndarray


@dataclass(frozen=True)
class EBayesFit:
    """Moderated statistics for one contrast (all arrays length G).

    ``s2_prior`` and ``df_prior`` are length-G arrays (constant unless trend/robust);
    ``var_prior`` is the prior variance of the true logFC used by B.
    """

    coefficient: np.ndarray
    stdev_unscaled: np.ndarray
    amean: np.ndarray
    sigma: np.ndarray
    df_residual: np.ndarray
    s2_prior: np.ndarray
    df_prior: np.ndarray
    s2_post: np.ndarray
    df_total: np.ndarray
    t: np.ndarray
    p_value: np.ndarray
    lods: np.ndarray
    var_prior: float


# --------------------------------------------------------------------------- linear model


def _estimable_columns(x: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Columns kept, in order, by a QR with limited pivoting (a column whose norm after
    projection on the kept ones falls below ``tol`` times its own norm is dropped)."""
    keep: list[int] = []
    q = np.zeros((x.shape[0], 0))
    for j in range(x.shape[1]):
        col = x[:, j]
        norm = np.linalg.norm(col)
        resid = col - q @ (q.T @ col)
        rnorm = np.linalg.norm(resid)
        if norm > 0 and rnorm > tol * norm:
            keep.append(j)
            q = np.column_stack([q, resid / rnorm])
    return np.array(keep, dtype=int)


def _fit_block(y: np.ndarray, x: np.ndarray, out: dict, rows: np.ndarray) -> None:
    """Least squares of every row of ``y`` (genes x observed samples) on ``x``."""
    est = _estimable_columns(x)
    df = x.shape[0] - len(est)
    out["df"][rows] = df
    if not len(est):
        return
    q, r = np.linalg.qr(x[:, est])
    effects = y @ q  # genes x rank
    coef = np.linalg.solve(r, effects.T).T
    out["coef"][np.ix_(rows, est)] = coef
    rinv = np.linalg.inv(r)
    out["stdev"][np.ix_(rows, est)] = np.sqrt((rinv**2).sum(axis=1))[None, :]
    if df > 0:
        resid = y - coef @ x[:, est].T
        out["sigma"][rows] = np.sqrt((resid**2).sum(axis=1) / df)


_MIN_BLOCK = 8  # missingness patterns shared by fewer genes are solved as a stack


def _fit_stacked(y, design, observed, rows, out) -> np.ndarray:
    """Fit each gene of ``rows`` on its own observed samples with one stacked QR.

    Unobserved samples become zero rows (which change neither the solution nor the residual
    sum of squares). Returns the genes whose observed design is rank deficient, left to
    the pivoted per-gene path.
    """
    if not len(rows):
        return rows
    obs = observed[rows]
    x = design[None, :, :] * obs[:, :, None]  # genes x n x p
    yv = np.where(obs, y[rows], 0.0)
    q, r = np.linalg.qr(x)
    diag = np.abs(np.diagonal(r, axis1=1, axis2=2))
    norms = np.linalg.norm(x, axis=1)
    full = np.all(diag > 1e-7 * norms, axis=1) & np.all(norms > 0, axis=1)
    rows_ok, q, r, yv, x = rows[full], q[full], r[full], yv[full], x[full]
    effects = np.einsum("gnp,gn->gp", q, yv)
    coef = np.linalg.solve(r, effects[:, :, None])[:, :, 0]
    rinv = np.linalg.inv(r)
    df = obs[full].sum(axis=1) - design.shape[1]
    resid = yv - np.einsum("gnp,gp->gn", x, coef)
    out["coef"][rows_ok] = coef
    out["stdev"][rows_ok] = np.sqrt((rinv**2).sum(axis=2))
    out["df"][rows_ok] = df
    with np.errstate(invalid="ignore", divide="ignore"):
        out["sigma"][rows_ok] = np.where(df > 0, np.sqrt((resid**2).sum(axis=1) / df), np.nan)
    return rows[~full]


def lm_fit(y: np.ndarray, design: np.ndarray) -> LinearFit:
    """Fit ``y`` (G x n log-expression, NaN = missing) on ``design`` (n x p), gene by gene.

    Genes with missing values use only their observed samples (residual df = observed
    samples minus estimable coefficients); coefficients a gene cannot estimate are NaN;
    ``sigma`` is NaN where the residual df is 0.
    """
    y = np.asarray(y, dtype=np.float64)
    design = np.asarray(design, dtype=np.float64)
    n_genes, p = y.shape[0], design.shape[1]
    out = {
        "coef": np.full((n_genes, p), np.nan),
        "stdev": np.full((n_genes, p), np.nan),
        "sigma": np.full(n_genes, np.nan),
        "df": np.zeros(n_genes),
    }
    observed = np.isfinite(y)
    packed = np.packbits(observed, axis=1)
    patterns, inverse, counts = np.unique(packed, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    rare = counts[inverse] < _MIN_BLOCK
    leftover = _fit_stacked(y, design, observed, np.flatnonzero(rare), out)
    for k in np.flatnonzero(counts >= _MIN_BLOCK):
        rows = np.flatnonzero(inverse == k)
        _fit_block(y[np.ix_(rows, observed[rows[0]])], design[observed[rows[0]]], out, rows)
    for g in leftover:  # rank-deficient genes: one pivoted fit each
        obs = observed[g]
        if obs.any():
            _fit_block(y[g : g + 1, obs], design[obs], out, np.array([g]))
    with np.errstate(invalid="ignore"):
        amean = np.nanmean(np.where(observed, y, np.nan), axis=1)
    return LinearFit(
        coefficients=out["coef"],
        stdev_unscaled=out["stdev"],
        sigma=out["sigma"],
        df_residual=out["df"],
        amean=amean,
        cov_coefficients=np.linalg.inv(design.T @ design),
    )


def contrasts_fit(fit: LinearFit, contrasts: np.ndarray) -> LinearFit:
    """Re-express ``fit`` for ``contrasts`` (p x k, or a length-p vector for k = 1).

    The stdev of a contrast is exact for orthogonal designs; for non-orthogonal designs it
    uses the coefficient correlations of the full design with each gene's own stdevs (as
    limma does, which is exact for genes without missing values).
    """
    c = np.asarray(contrasts, dtype=np.float64)
    c = c[:, None] if c.ndim == 1 else c
    coef = fit.coefficients.copy()
    stdev = fit.stdev_unscaled.copy()
    na = np.isnan(coef)
    coef[na] = 0.0
    stdev[na] = _NON_ESTIMABLE
    d = np.sqrt(np.diag(fit.cov_coefficients))
    cor = fit.cov_coefficients / np.outer(d, d)
    off = cor[np.tril_indices_from(cor, k=-1)]
    new_coef = coef @ c
    if off.size == 0 or np.all(np.abs(off) < 1e-14):
        new_stdev = np.sqrt(stdev**2 @ c**2)
    else:
        upper = np.linalg.cholesky(cor).T  # cor = upper' upper
        new_stdev = np.empty_like(new_coef)
        for j in range(c.shape[1]):
            scaled = stdev * c[:, j][None, :]  # G x p
            new_stdev[:, j] = np.sqrt(((scaled @ upper.T) ** 2).sum(axis=1))
    bad = new_stdev > 1e20
    new_coef[bad] = np.nan
    new_stdev[bad] = np.nan
    cov = c.T @ fit.cov_coefficients @ c
    return LinearFit(
        coefficients=new_coef,
        stdev_unscaled=new_stdev,
        sigma=fit.sigma,
        df_residual=fit.df_residual,
        amean=fit.amean,
        cov_coefficients=cov,
    )


# --------------------------------------------------------------------------- variance prior


def trigamma_inverse(x: np.ndarray | float) -> np.ndarray:
    """Solve ``trigamma(y) = x`` for y > 0 by Newton's method on ``1/trigamma`` (Smyth 2004)."""
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.full_like(x, np.nan)
    big, small = x > 1e7, x < 1e-6
    y[big] = 1.0 / np.sqrt(x[big])
    y[small] = 1.0 / x[small]
    todo = (x >= 1e-6) & (x <= 1e7)
    if todo.any():
        xt = x[todo]
        yt = 0.5 + 1.0 / xt
        for _ in range(51):
            tri = special.polygamma(1, yt)
            step = tri * (1.0 - tri / xt) / special.polygamma(2, yt)
            yt = yt + step
            if np.max(-step / yt) < 1e-8:
                break
        y[todo] = yt
    return y


def _natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Natural cubic spline basis (with intercept) for sorted ``knots`` incl. the boundary ones.

    Spans the same space as R's ``splines::ns(..., intercept=TRUE)`` with the same knots
    (cubic between knots, linear beyond the boundary knots), so regression fits coincide.
    """
    lo, hi = knots[0], knots[-1]
    scale = hi - lo if hi > lo else 1.0
    u, k = (x - lo) / scale, (knots - lo) / scale
    cols = [np.ones_like(u), u]

    def d(j: int) -> np.ndarray:
        return (np.maximum(u - k[j], 0) ** 3 - np.maximum(u - k[-1], 0) ** 3) / (k[-1] - k[j])

    last = d(len(k) - 2)
    cols += [d(j) - last for j in range(len(k) - 2)]
    return np.column_stack(cols)


def _spline_trend(e: np.ndarray, covariate: np.ndarray, new: np.ndarray, splinedf: int):
    """Regress ``e`` on a natural spline of ``covariate``; fitted values, predictions at ``new``
    and the residual variance ``RSS / (n - rank)``."""
    probs = np.linspace(0, 1, splinedf)[1:-1]
    knots = np.concatenate([[covariate.min()], np.quantile(covariate, probs), [covariate.max()]])
    basis = _natural_spline_basis(covariate, knots)
    beta, _, rank, _ = np.linalg.lstsq(basis, e, rcond=None)
    fitted = basis @ beta
    evar = np.sum((e - fitted) ** 2) / (len(e) - rank)
    predicted = _natural_spline_basis(new, knots) @ beta if len(new) else new
    return fitted, predicted, evar


def fit_f_dist(
    x: np.ndarray, df1: np.ndarray, covariate: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Moment estimates of the scaled-F hyper-parameters (Smyth 2004, section 6).

    ``x`` (G) are sample variances on ``df1`` (G) degrees of freedom, assumed
    ``x ~ scale * F(df1, df2)``. Returns ``(scale, df2)``; ``scale`` is length G (constant
    without a covariate; a spline trend in ``covariate`` otherwise). Genes with non-finite
    ``x`` or zero df are left out of the fit (their scale is predicted from the trend).
    """
    x = np.asarray(x, dtype=np.float64)
    df1 = np.broadcast_to(np.asarray(df1, dtype=np.float64), x.shape)
    n = len(x)
    ok = np.isfinite(df1) & (df1 > 1e-15)
    with np.errstate(invalid="ignore"):
        ok &= np.isfinite(x) & (x > -1e-15)
    nok = int(ok.sum())
    if nok == 0:
        return np.full(n, np.nan), np.nan
    if nok == 1:
        return np.full(n, x[ok][0]), 0.0
    xs, d1 = np.maximum(x[ok], 0.0), df1[ok]
    splinedf = 1
    if covariate is not None:
        cov = np.asarray(covariate, dtype=np.float64)
        splinedf = 1 + (nok >= 3) + (nok >= 6) + (nok >= 30)
        splinedf = min(splinedf, len(np.unique(cov[ok])))
        if splinedf < 2:
            covariate = None
    m = np.median(xs)
    xs = np.maximum(xs, 1e-5 * (m if m > 0 else 1.0))
    z = np.log(xs)
    e = z - special.digamma(d1 / 2) + np.log(d1 / 2)
    if covariate is None:
        emean = np.full(n, e.mean())
        evar = np.sum((e - e.mean()) ** 2) / (nok - 1)
    else:
        fitted, predicted, evar = _spline_trend(e, cov[ok], cov[~ok], splinedf)
        emean = np.empty(n)
        emean[ok], emean[~ok] = fitted, predicted
    evar -= np.mean(special.polygamma(1, d1 / 2))
    if evar > 0:
        df2 = 2 * trigamma_inverse(evar)[0]
        return np.exp(emean + special.digamma(df2 / 2) - np.log(df2 / 2)), float(df2)
    if covariate is None:
        return np.full(n, xs.mean()), np.inf
    return np.exp(emean), np.inf


def _brent_root(f, a: float, b: float, fa: float, fb: float, tol: float) -> float:
    """Brent's (1973) root finder, the zeroin variant behind R's ``uniroot``."""
    eps = np.finfo(float).eps
    c, fc = a, fa
    if fa == 0:
        return a
    if fb == 0:
        return b
    for _ in range(1000):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # secant
                t1 = fb / fa
                p, q = cb * t1, 1.0 - t1
            else:  # inverse quadratic interpolation
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < 0.75 * cb * q - abs(tol_act * q) / 2 and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(128)
_GAUSS_NODES, _GAUSS_WEIGHTS = (_GAUSS_NODES + 1) / 2, _GAUSS_WEIGHTS / 2  # on [0, 1]


def _f_ppf(p: np.ndarray, df1: float, df2: float) -> np.ndarray:
    if np.isinf(df2):
        return stats.chi2.ppf(p, df1) / df1
    return stats.f.ppf(p, df1, df2)


def _f_pdf(x: np.ndarray, df1: float, df2: float) -> np.ndarray:
    if np.isinf(df2):
        return stats.chi2.pdf(x * df1, df1) * df1
    return stats.f.pdf(x, df1, df2)


def _f_sf(x: np.ndarray, df1: float, df2: float) -> np.ndarray:
    if np.isinf(df2):
        return stats.chi2.sf(x * df1, df1)
    return stats.f.sf(x, df1, df2)


def _winsorized_moments(df1: float, df2: float, tail: np.ndarray) -> tuple[float, float]:
    """Mean and variance of log F(df1, df2) Winsorised at the ``tail`` probabilities,
    by Gauss–Legendre quadrature on the scale ``F/(1+F)`` (Phipson et al. 2016)."""
    fq = _f_ppf(np.array([tail[0], 1 - tail[1]]), df1, df2)
    zq = np.log(fq)
    q = fq / (1 + fq)
    nodes = q[0] + (q[1] - q[0]) * _GAUSS_NODES
    fnodes = nodes / (1 - nodes)
    znodes = np.log(fnodes)
    dens = _f_pdf(fnodes, df1, df2) / (1 - nodes) ** 2
    width = q[1] - q[0]
    mean = width * np.sum(_GAUSS_WEIGHTS * dens * znodes) + np.sum(zq * tail)
    var = width * np.sum(_GAUSS_WEIGHTS * dens * (znodes - mean) ** 2) + np.sum(
        (zq - mean) ** 2 * tail
    )
    return float(mean), float(var)


def _equalise_df(x, df1, scale, df2):
    """Map variances on smaller df to the largest df by matching F tail probabilities."""
    df1max = df1.max()
    low = df1 < df1max - 1e-14
    if not low.any():
        return x, float(df1max)
    x = x.copy()
    s = scale[low]
    f = x[low] / s
    if np.isinf(df2):
        upper = stats.chi2.logsf(f * df1[low], df1[low])
        lower = stats.chi2.logcdf(f * df1[low], df1[low])
        isf = lambda lp: stats.chi2.isf(np.exp(lp), df1max) / df1max  # noqa: E731
        ppf = lambda lp: stats.chi2.ppf(np.exp(lp), df1max) / df1max  # noqa: E731
    else:
        upper = stats.f.logsf(f, df1[low], df2)
        lower = stats.f.logcdf(f, df1[low], df2)
        isf = lambda lp: stats.f.isf(np.exp(lp), df1max, df2)  # noqa: E731
        ppf = lambda lp: stats.f.ppf(np.exp(lp), df1max, df2)  # noqa: E731
    up = upper < lower
    f[up] = isf(upper[up])
    f[~up] = ppf(lower[~up])
    x[low] = f * s
    return x, float(df1max)


def _shrunk_df(z, ztrend, zwmean, df1, df2, mom_mean, nonrobust_df2):
    """Gene-wise prior df, reduced for genes whose variance looks like an outlier."""
    n = len(z)
    trend = ztrend + zwmean - mom_mean
    zresid = z - trend
    fstat = np.exp(zresid)
    tail_p = _f_sf(fstat, df1, df2)
    rank = stats.rankdata(fstat)
    prob_not_outlier = np.minimum(tail_p / ((n - rank + 0.5) / n), 1.0)
    shrunk = np.full(n, df2)
    if not (prob_not_outlier < 1).any():
        return np.exp(trend), shrunk
    order = np.argsort(tail_p, kind="stable")
    if np.isinf(df2):
        outlier = prob_not_outlier < 1
        shrunk[outlier] = prob_not_outlier[outlier] * n * df1
        shrunk[order] = np.maximum.accumulate(shrunk[order])
        return np.exp(trend), shrunk
    df2_outlier = np.log(0.5) / np.log(tail_p.min()) * df2
    new_tail = _f_sf(np.array([fstat.max()]), df1, df2_outlier)[0]
    df2_outlier = np.log(0.5) / np.log(new_tail) * df2_outlier
    shrunk = prob_not_outlier * df2 + (1 - prob_not_outlier) * df2_outlier
    ordered = shrunk[order]
    running = np.cumsum(ordered) / np.arange(1, n + 1)
    imin = int(np.argmin(running))
    ordered[: imin + 1] = running[imin]
    shrunk[order] = np.maximum.accumulate(ordered)
    return np.exp(trend), shrunk


def fit_f_dist_robustly(
    x: np.ndarray,
    df1: np.ndarray,
    covariate: np.ndarray | None = None,
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> tuple[np.ndarray, float, np.ndarray]:
    """Robust scaled-F hyper-parameters (Phipson et al. 2016): ``(scale, df2, df2_shrunk)``.

    ``scale`` and ``df2_shrunk`` are length G; genes with missing variance or zero df get
    the global ``scale`` and ``df2``.
    """
    x = np.asarray(x, dtype=np.float64)
    df1 = np.broadcast_to(np.asarray(df1, dtype=np.float64), x.shape).copy()
    n = len(x)
    if n < 2:
        return np.full(n, np.nan), np.nan, np.full(n, np.nan)
    if n == 2:
        scale, df2 = fit_f_dist(x, df1, covariate)
        return scale, df2, np.full(n, df2)
    ok = ~np.isnan(x) & np.isfinite(df1) & (df1 > 1e-6)
    if not ok.all():
        sub_cov = None if covariate is None else np.asarray(covariate)[ok]
        scale_ok, df2, shrunk_ok = fit_f_dist_robustly(x[ok], df1[ok], sub_cov, winsor_tail_p)
        shrunk = np.full(n, df2)
        shrunk[ok] = shrunk_ok
        if covariate is None:
            scale = np.full(n, scale_ok[0])
        else:
            cov = np.asarray(covariate, dtype=np.float64)
            order = np.argsort(cov[ok], kind="stable")
            scale = np.empty(n)
            scale[ok] = scale_ok
            scale[~ok] = np.exp(np.interp(cov[~ok], cov[ok][order], np.log(scale_ok[order])))
        return scale, df2, shrunk
    m = np.median(x)
    if m <= 0:
        raise ValueError("most variances are <= 0: robust empirical Bayes cannot be fitted")
    x = np.maximum(x, m * 1e-12)
    nr_scale, nr_df2 = fit_f_dist(x, df1, covariate)
    tail = np.asarray(winsor_tail_p, dtype=np.float64)
    if np.all(tail < 1 / n):
        return nr_scale, nr_df2, np.full(n, nr_df2)
    x, d1 = _equalise_df(x, df1, nr_scale, nr_df2)
    z = np.log(x)
    if covariate is None:
        ztrend = np.full(n, stats.trim_mean(z, tail[1]))
    else:
        ztrend = lowess_fit(np.asarray(covariate, dtype=np.float64), z, span=0.4, iterations=4)
    zresid = z - ztrend
    zq = np.quantile(zresid, [tail[0], 1 - tail[1]])
    zwins = np.clip(zresid, zq[0], zq[1])
    zwmean = zwins.mean()
    zwvar = np.mean((zwins - zwmean) ** 2) * n / (n - 1)

    def objective(u: float) -> float:
        df2 = u / (1 - u) if u < 1 else np.inf
        return np.log(zwvar / _winsorized_moments(d1, df2, tail)[1])

    at_inf = objective(1.0)
    if at_inf <= 0:
        df2 = np.inf
    else:
        low = nr_df2 / (1 + nr_df2) if np.isfinite(nr_df2) else 1.0
        at_low = objective(low)
        if at_low >= 0:
            df2 = nr_df2
        else:
            u = _brent_root(objective, low, 1.0, at_low, at_inf, 1e-8)
            df2 = u / (1 - u)
    mom_mean = _winsorized_moments(d1, df2, tail)[0]
    scale, shrunk = _shrunk_df(z, ztrend, zwmean, d1, df2, mom_mean, nr_df2)
    return scale, float(df2), shrunk


def squeeze_var(
    var: np.ndarray,
    df: np.ndarray,
    covariate: np.ndarray | None = None,
    robust: bool = False,
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Empirical-Bayes posterior variances: ``(var_post, var_prior, df_prior)``, each length G.

    Genes with zero residual df take the prior variance as their posterior.
    """
    var = np.asarray(var, dtype=np.float64).copy()
    df = np.broadcast_to(np.asarray(df, dtype=np.float64), var.shape)
    n = len(var)
    if robust:
        var_prior, _, df_prior = fit_f_dist_robustly(var, df, covariate, winsor_tail_p)
    else:
        var_prior, df2 = fit_f_dist(var, df, covariate)
        df_prior = np.full(n, df2)
    if np.isnan(df_prior).any():
        raise ValueError("could not estimate the prior degrees of freedom")
    var[df == 0] = 0.0
    with np.errstate(invalid="ignore"):
        var_post = (df * var + df_prior * var_prior) / (df + df_prior)
    infinite = np.isinf(df_prior)
    var_post[infinite] = var_prior[infinite]
    return var_post, var_prior, df_prior


def _tmixture(t: np.ndarray, stdev: np.ndarray, df: np.ndarray, proportion: float, lim):
    """Prior variance of the non-null logFC, matched to the largest |t| (Smyth 2004, sec. 5)."""
    keep = ~np.isnan(t)
    t, stdev, df = np.abs(t[keep]), stdev[keep], df[keep]
    n = len(t)
    ntarget = int(np.ceil(proportion / 2 * n))
    if ntarget < 1:
        return np.nan
    p = max(ntarget / n, proportion)
    maxdf = df.max()
    low = df < maxdf
    if low.any():  # put every t on the largest df, keeping its tail probability
        logp = stats.t.logsf(t[low], df[low])
        t = t.copy()
        t[low] = stats.t.isf(np.exp(logp), maxdf)
    top = np.argsort(-t, kind="stable")[:ntarget]
    tt, v1 = t[top], stdev[top] ** 2
    r = np.arange(1, ntarget + 1)
    p0 = 2 * stats.t.sf(tt, maxdf)
    ptarget = ((r - 0.5) / n - (1 - p) * p0) / p
    v0 = np.zeros(ntarget)
    pos = ptarget > p0
    if pos.any():
        qtarget = stats.t.isf(ptarget[pos] / 2, maxdf)
        v0[pos] = v1[pos] * ((tt[pos] / qtarget) ** 2 - 1)
    return float(np.mean(np.clip(v0, lim[0], lim[1])))


def ebayes(
    fit: LinearFit,
    *,
    trend: bool = False,
    robust: bool = False,
    proportion: float = 0.01,
    stdev_coef_lim: tuple[float, float] = (0.1, 4.0),
    winsor_tail_p: tuple[float, float] = (0.05, 0.1),
) -> EBayesFit:
    """Moderated t, p and B for the first (single) contrast of ``fit`` (limma ``eBayes``).

    ``trend``: prior variance as a spline trend in AveExpr; ``robust``: Phipson et al. 2016.
    p-values are two-sided on ``min(df_residual + df_prior, sum(df_residual))`` df.
    """
    df_res = fit.df_residual
    if np.all(df_res == 0):
        raise ValueError("no residual degrees of freedom in the linear model fits")
    if not np.isfinite(fit.sigma).any():
        raise ValueError("no finite residual standard deviations")
    covariate = fit.amean if trend else None
    s2_post, s2_prior, df_prior = squeeze_var(
        fit.sigma**2, df_res, covariate, robust, winsor_tail_p
    )
    coef, stdev = fit.coefficients[:, 0], fit.stdev_unscaled[:, 0]
    t = coef / stdev / np.sqrt(s2_post)
    df_total = np.minimum(df_res + df_prior, np.nansum(df_res))
    p_value = 2 * stats.t.sf(np.abs(t), df_total)
    lim = np.asarray(stdev_coef_lim) ** 2 / np.median(s2_prior)
    var_prior = _tmixture(t, stdev, df_total, proportion, lim)
    if np.isnan(var_prior):
        var_prior = 1 / np.median(s2_prior)
    r = (stdev**2 + var_prior) / stdev**2
    t2 = t**2
    with np.errstate(invalid="ignore", divide="ignore"):
        kernel = (1 + df_total) / 2 * np.log((t2 + df_total) / (t2 / r + df_total))
    infdf = df_prior > 1e6
    kernel[infdf] = (t2 * (1 - 1 / r) / 2)[infdf]
    lods = np.log(proportion / (1 - proportion)) - np.log(r) / 2 + kernel
    return EBayesFit(
        coefficient=coef,
        stdev_unscaled=stdev,
        amean=fit.amean,
        sigma=fit.sigma,
        df_residual=df_res,
        s2_prior=s2_prior,
        df_prior=df_prior,
        s2_post=s2_post,
        df_total=df_total,
        t=t,
        p_value=p_value,
        lods=lods,
        var_prior=var_prior,
    )


def p_adjust_bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values over the non-missing entries (NaN stays NaN)."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    n = len(idx)
    if n == 0:
        return out
    order = idx[np.argsort(-p[idx], kind="stable")]
    ranks = np.arange(n, 0, -1)
    out[order] = np.minimum(1.0, np.minimum.accumulate(n / ranks * p[order]))
    return out


def top_table(eb: EBayesFit, genes) -> pd.DataFrame:
    """limma's ``topTable(sort.by="none", adjust.method="BH")`` columns, one row per gene."""
    return pd.DataFrame(
        {
            "gene": np.asarray(genes, dtype=str),
            "logFC": eb.coefficient,
            "AveExpr": eb.amean,
            "t": eb.t,
            "P.Value": eb.p_value,
            "adj.P.Val": p_adjust_bh(eb.p_value),
            "B": eb.lods,
        },
        columns=list(TOP_TABLE_COLUMNS),
    )


@dataclass(frozen=True)
class LimmaResult:
    """The top table (``TOP_TABLE_COLUMNS``, input gene order), the design and the eBayes fit."""

    table: pd.DataFrame
    design: TwoGroupDesign
    fit: EBayesFit


def limma_fit_two_group(
    expr: pd.DataFrame,
    groups: pd.Series,
    treatment: str,
    baseline: str,
    *,
    trend: bool = False,
    robust: bool = False,
    keep_all_groups: bool = False,
    covariates: pd.DataFrame | None = None,
) -> LimmaResult:
    """``limma_two_group`` with its design and intermediate statistics (see there)."""
    design = two_group_design(
        groups, treatment, baseline, keep_all_groups=keep_all_groups, covariates=covariates
    )
    missing = pd.Index(design.samples).difference(expr.columns.astype(str))
    if len(missing):
        raise ValueError(f"sample {missing[0]!r} of the groups is not in the expression matrix")
    sub = expr.copy()
    sub.columns = sub.columns.astype(str)
    y = numeric_matrix(sub[list(design.samples)])
    fit = contrasts_fit(lm_fit(y, design.matrix), design.contrast)
    eb = ebayes(fit, trend=trend, robust=robust)
    return LimmaResult(table=top_table(eb, expr.index), design=design, fit=eb)


def limma_two_group(
    expr: pd.DataFrame,
    groups: pd.Series,
    treatment: str,
    baseline: str,
    *,
    trend: bool = False,
    robust: bool = False,
    keep_all_groups: bool = False,
    covariates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Two-group limma: ``~0+group (+covariates)``, contrast treatment − baseline, eBayes.

    ``expr``: genes x samples log-expression (index = gene ids, columns = sample ids; NaN =
    missing; non-numeric values raise ``NonNumericValueError``). ``groups``: Series sample ->
    group label; samples of ``expr`` not in ``groups`` are ignored. Only treatment and
    baseline samples are fitted unless ``keep_all_groups``. ``covariates``: samples x fields
    added to the design (see ``design.two_group_design``).

    Returns a DataFrame with exactly the columns ``gene logFC AveExpr t P.Value adj.P.Val B``
    (``../shared/oracle/limma_ref.R``), one row per gene in the order of ``expr``; logFC in
    the units of ``expr`` (log2 fold change for log2 data), p two-sided, adj.P.Val BH over
    the non-missing p-values. Non-estimable contrasts give NaN statistics.
    Errors (``design.DesignError`` subclasses, all ``ValueError``): empty or overlapping
    groups, no residual degree of freedom, confounded covariates, non-numeric values.
    """
    return limma_fit_two_group(
        expr,
        groups,
        treatment,
        baseline,
        trend=trend,
        robust=robust,
        keep_all_groups=keep_all_groups,
        covariates=covariates,
    ).table


# --------------------------------------------------------------------------- lowess


def _lowess_point(x, y, xs, nleft, nright, rw):
    """Locally weighted linear fit at ``xs`` (tricube weights), or None if no weight."""
    n = len(x)
    h = max(xs - x[nleft], x[nright] - xs)
    j_end = nright + 1
    while j_end < n and abs(x[j_end] - xs) <= 0.999 * h:
        j_end += 1
    xw = x[nleft:j_end]
    r = np.abs(xw - xs)
    w = np.where(r <= 0.001 * h, 1.0, (1 - (r / h) ** 3) ** 3) if h > 0 else np.ones_like(r)
    w = np.where(r <= 0.999 * h, w, 0.0) * rw[nleft:j_end]
    total = w.sum()
    if total <= 0:
        return None
    w = w / total
    if h > 0:
        a = np.sum(w * xw)
        c = np.sum(w * (xw - a) ** 2)
        if np.sqrt(c) > 0.001 * (x[-1] - x[0]):
            w = w * ((xs - a) / c * (xw - a) + 1)
    return float(np.sum(w * y[nleft:j_end]))


def _lowess_pass(x, y, ns, delta, rw):
    n = len(x)
    fitted = np.empty(n)
    nleft, nright, last, i = 0, ns - 1, -1, 0
    while True:
        while nright < n - 1 and x[i] - x[nleft] > x[nright + 1] - x[i]:
            nleft += 1
            nright += 1
        value = _lowess_point(x, y, x[i], nleft, nright, rw)
        fitted[i] = y[i] if value is None else value
        if last < i - 1:  # linear interpolation over the skipped points
            alpha = (x[last + 1 : i] - x[last]) / (x[i] - x[last])
            fitted[last + 1 : i] = alpha * fitted[i] + (1 - alpha) * fitted[last]
        last = i
        cut = x[last] + delta
        i = last + 1
        while i < n and x[i] <= cut:
            if x[i] == x[last]:
                fitted[i] = fitted[last]
                last = i
            i += 1
        i = max(last + 1, i - 1)
        if last >= n - 1:
            return fitted


def lowess_fit(x: np.ndarray, y: np.ndarray, span: float = 0.4, iterations: int = 4) -> np.ndarray:
    """Cleveland's (1979) robust locally-weighted linear regression of ``y`` on ``x``.

    Fitted values in the input order; ``iterations - 1`` robustness (bisquare) passes,
    neighbourhoods of ``span * n`` points, and points within 1% of the x-range of a fitted
    point interpolated linearly (the defaults of R's ``lowess`` as used by limma).
    """
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    n = len(xs)
    ns = max(2, min(n, int(span * n + 1e-7)))
    delta = 0.01 * (xs[-1] - xs[0])
    rw = np.ones(n)
    for iteration in range(iterations):
        fitted = _lowess_pass(xs, ys, ns, delta, rw)
        if iteration == iterations - 1:
            break
        res = np.abs(ys - fitted)
        sc = res.sum() / n
        srt = np.sort(res)
        m1 = n // 2
        cmad = 3 * (srt[m1] + srt[n - m1 - 1]) if n % 2 == 0 else 6 * srt[m1]
        if cmad < 1e-7 * sc:
            break
        rw = np.where(res <= 0.001 * cmad, 1.0, (1 - (res / cmad) ** 2) ** 2)
        rw[res > 0.999 * cmad] = 0.0
    out = np.empty(n)
    out[order] = fitted
    return out
