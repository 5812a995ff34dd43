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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.engine.de.design import TwoGroupDesign, numeric_matrix, two_group_design
from analysis.engine.de.limma_prior import squeeze_var

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


def _fit_block(y: np.ndarray, x: np.ndarray, out: dict[str, np.ndarray], rows: np.ndarray) -> None:
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


def _fit_stacked(
    y: np.ndarray,
    design: np.ndarray,
    observed: np.ndarray,
    rows: np.ndarray,
    out: dict[str, np.ndarray],
) -> np.ndarray:
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


def _tmixture(
    t: np.ndarray, stdev: np.ndarray, df: np.ndarray, proportion: float, lim: tuple[float, float]
) -> float:
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


def top_table(eb: EBayesFit, genes: Sequence[str] | np.ndarray) -> pd.DataFrame:
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
