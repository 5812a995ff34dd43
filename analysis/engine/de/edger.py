"""edgeR for two-group RNA-seq counts, in numpy/scipy (edgeR 3.x semantics, no R).

Public functions mirror edgeR's: ``filter_by_expr``, ``calc_norm_factors_tmm``, ``cpm``,
``ave_log_cpm``, ``estimate_disp``, ``glm_fit`` / ``glm_lrt``, ``glm_ql_fit`` /
``glm_ql_ftest`` (legacy QL: squeezeVar of the QL deviances with an abundance trend; Lund et
al. 2012) and ``exact_test`` (Robinson & Smyth 2008).  ``edger_two_group`` runs the whole
pipeline as the ``edger_ref.R`` oracle does and returns edgeR's topTags columns.

Designs are one-way layouts (``~0+group``), which is what two-group signatures need; there
the GLM maximum likelihood fit is one NB mean per group, solved by vectorised Newton steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import chi2
from scipy.stats import f as f_dist

from analysis.engine.de.edger_disp import Dispersions, estimate_disp
from analysis.engine.de.edger_exact import exact_test
from analysis.engine.de.edger_glm import nb_deviance, nb_one_way, residual_df_zeros
from analysis.engine.de.edger_norm import (
    add_prior_count,
    ave_log_cpm,
    calc_norm_factors_tmm,
    cpm,
    filter_by_expr,
)
from analysis.engine.de.edger_smooth import squeeze_var

__all__ = [
    "Dispersions",
    "GlmFit",
    "ave_log_cpm",
    "calc_norm_factors_tmm",
    "cpm",
    "edger_two_group",
    "estimate_disp",
    "exact_test",
    "filter_by_expr",
    "glm_fit",
    "glm_lrt",
    "glm_ql_fit",
    "glm_ql_ftest",
]

METHODS = ("ql", "lrt", "exact")


@dataclass(frozen=True)
class GlmFit:
    """A one-way NB GLM fit; coefficients are natural-log group means (genes x levels)."""

    counts: np.ndarray
    groups: np.ndarray
    offset: np.ndarray
    dispersion: np.ndarray
    coefficients: np.ndarray  # shrunk by the prior count, as glmFit reports them
    fitted: np.ndarray
    deviance: np.ndarray
    df_residual_zeros: np.ndarray
    var_post: np.ndarray | None = None
    var_prior: np.ndarray | None = None
    df_prior: float | None = None


def glm_fit(
    counts: npt.ArrayLike,
    groups: np.ndarray,
    lib_size: np.ndarray,
    dispersion: npt.ArrayLike,
    prior_count: float = 0.125,
) -> GlmFit:
    """glmFit for a one-way design; ``groups`` integer codes (samples,)."""
    y = np.asarray(counts, dtype=float)
    phi = np.broadcast_to(np.asarray(dispersion, dtype=float), (y.shape[0],)).copy()
    offset = np.log(np.asarray(lib_size, dtype=float))
    _, fitted = nb_one_way(y, groups, offset, phi)
    y_aug, offset_aug = add_prior_count(y, lib_size, prior_count)
    shrunk, _ = nb_one_way(y_aug, groups, offset_aug, phi)
    return GlmFit(
        counts=y,
        groups=groups,
        offset=offset,
        dispersion=phi,
        coefficients=shrunk,
        fitted=fitted,
        deviance=nb_deviance(y, fitted, phi),
        df_residual_zeros=residual_df_zeros(y, groups),
    )


def _lrt(
    fit: GlmFit, treatment: int, baseline: int, dispersion: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(logFC, LR) for the contrast treatment - baseline: the null merges the two groups."""
    phi = fit.dispersion if dispersion is None else dispersion
    null_groups = np.where(fit.groups == treatment, baseline, fit.groups)
    null_groups = np.unique(null_groups, return_inverse=True)[1]
    _, mu0 = nb_one_way(fit.counts, null_groups, fit.offset, phi)
    if dispersion is None:
        dev1 = fit.deviance
    else:
        _, mu1 = nb_one_way(fit.counts, fit.groups, fit.offset, phi)
        dev1 = nb_deviance(fit.counts, mu1, phi)
    lr = nb_deviance(fit.counts, mu0, phi) - dev1
    log_fc = (fit.coefficients[:, treatment] - fit.coefficients[:, baseline]) / np.log(2)
    return log_fc, lr


def glm_lrt(fit: GlmFit, treatment: int, baseline: int) -> pd.DataFrame:
    """glmLRT for treatment - baseline: columns logFC LR PValue."""
    log_fc, lr = _lrt(fit, treatment, baseline)
    return pd.DataFrame({"logFC": log_fc, "LR": lr, "PValue": chi2.sf(lr, 1)})


def glm_ql_fit(
    counts: npt.ArrayLike,
    groups: np.ndarray,
    lib_size: np.ndarray,
    dispersion: npt.ArrayLike,
    ave_log_cpm_: np.ndarray,
    robust: bool = False,
) -> GlmFit:
    """Legacy glmQLFit: NB fit at ``dispersion`` (the trended one), QL deviances squeezed
    towards an abundance trend on AveLogCPM (robustly, with gene-wise prior df, if ``robust``)."""
    fit = glm_fit(counts, groups, lib_size, dispersion)
    df = fit.df_residual_zeros
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = np.where(df > 0, fit.deviance / df, 0.0)
    var_post, var_prior, df_prior = squeeze_var(
        np.maximum(s2, 0), df, covariate=ave_log_cpm_, robust=robust
    )
    return GlmFit(
        **{**fit.__dict__, "var_post": var_post, "var_prior": var_prior, "df_prior": df_prior}
    )


def glm_ql_ftest(fit: GlmFit, treatment: int, baseline: int) -> pd.DataFrame:
    """Legacy glmQLFTest: F = LR / var_post on df_prior + zero-adjusted residual df,
    never more significant than the Poisson likelihood ratio test."""
    if fit.var_post is None:
        raise ValueError("glm_ql_ftest needs the fit of glm_ql_fit (with QL variances)")
    log_fc, lr = _lrt(fit, treatment, baseline)
    f_stat = lr / fit.var_post
    n_samples, n_coef = fit.counts.shape[1], int(fit.groups.max()) + 1
    df_total = np.minimum(fit.df_prior + fit.df_residual_zeros, len(lr) * (n_samples - n_coef))
    p = f_dist.sf(f_stat, 1, df_total)
    below = ((fit.fitted * fit.dispersion[:, None] + 1) * fit.var_post[:, None] < 1).any(axis=1)
    if below.any():
        sub = GlmFit(
            **{
                **fit.__dict__,
                "counts": fit.counts[below],
                "coefficients": fit.coefficients[below],
                "deviance": fit.deviance[below],
            }
        )
        _, lr0 = _lrt(sub, treatment, baseline, dispersion=np.zeros(int(below.sum())))
        p[below] = np.maximum(p[below], chi2.sf(lr0, 1))
    return pd.DataFrame({"logFC": log_fc, "F": f_stat, "PValue": p})


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (p.adjust 'BH')."""
    n = len(p)
    order = np.argsort(p)[::-1]
    adj = np.minimum.accumulate(p[order] * n / np.arange(n, 0, -1))
    out = np.empty(n)
    out[order] = np.minimum(adj, 1)
    return out


@dataclass(frozen=True)
class _Prepared:
    genes: pd.Index
    counts: np.ndarray
    groups: np.ndarray
    lib_size: np.ndarray  # effective: lib.size * norm.factors
    treatment: int
    baseline: int


def _prepare(
    counts: pd.DataFrame,
    groups: pd.Series,
    treatment: str,
    baseline: str,
    filter_: bool,
    keep_all_groups: bool,
) -> _Prepared:
    groups = groups.astype(str)
    for name, label in (("treatment", treatment), ("baseline", baseline)):
        if label not in set(groups):
            raise ValueError(f"{name} group {label!r} has no samples")
    if treatment == baseline:
        raise ValueError("treatment and baseline must be different groups")
    if not keep_all_groups:
        groups = groups[groups.isin([treatment, baseline])]
    missing = set(groups.index) - set(counts.columns)
    if missing:
        raise ValueError(f"samples missing from the counts: {sorted(missing)}")
    x = counts.loc[:, groups.index].to_numpy(dtype=float)
    if not np.isfinite(x).all() or (x < 0).any():
        raise ValueError("counts must be finite and non-negative")
    levels = list(dict.fromkeys([baseline, treatment, *sorted(set(groups))]))
    codes = np.array([levels.index(g) for g in groups])
    genes = counts.index
    if filter_:
        keep = filter_by_expr(x, codes)
        x, genes = x[keep], genes[keep]
    lib = x.sum(axis=0)
    eff = lib * calc_norm_factors_tmm(x, lib)
    return _Prepared(genes, x, codes, eff, levels.index(treatment), levels.index(baseline))


def edger_two_group(
    counts: pd.DataFrame,
    groups: pd.Series,
    treatment: str,
    baseline: str,
    *,
    method: str = "ql",
    filter: bool = False,  # noqa: A002 - the public keyword matches the CLI flag
    robust: bool = False,
    keep_all_groups: bool = False,
) -> pd.DataFrame:
    """Differential expression treatment vs baseline, as ``edger_ref.R`` computes it.

    ``counts`` genes x samples raw counts (index = gene ids); ``groups`` sample id -> group.
    Returns one row per gene (input order, after the optional filterByExpr) with columns
    gene logFC logCPM F PValue FDR (``LR`` for method "lrt", no statistic for "exact").
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    prep = _prepare(counts, groups, treatment, baseline, filter, keep_all_groups)
    if method == "exact":
        disp = estimate_disp(prep.counts, prep.groups, prep.lib_size, classic=True, robust=robust)
        log_fc, p = exact_test(
            prep.counts, prep.groups, prep.lib_size, disp.tagwise, (prep.baseline, prep.treatment)
        )
        table = pd.DataFrame({"logFC": log_fc, "PValue": p})
    else:
        disp = estimate_disp(prep.counts, prep.groups, prep.lib_size, robust=robust)
        if method == "ql":
            fit = glm_ql_fit(
                prep.counts, prep.groups, prep.lib_size, disp.trended, disp.ave_log_cpm, robust
            )
            table = glm_ql_ftest(fit, prep.treatment, prep.baseline)
        else:
            fit = glm_fit(prep.counts, prep.groups, prep.lib_size, disp.tagwise)
            table = glm_lrt(fit, prep.treatment, prep.baseline)
    table.insert(1, "logCPM", disp.ave_log_cpm)
    table["FDR"] = _bh(table["PValue"].to_numpy())
    table.insert(0, "gene", np.asarray(prep.genes))
    return table
