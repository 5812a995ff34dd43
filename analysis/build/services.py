"""Signature construction from a dataset: the method table shared by the CLI, the UI and jobs."""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = {
    "limma": {"engine": "limma", "trend": False},
    "limma-trend": {"engine": "limma", "trend": True},
    "edger-ql": {"engine": "edger", "test": "ql"},
    "edger-lrt": {"engine": "edger", "test": "lrt"},
    "edger-exact": {"engine": "edger", "test": "exact"},
}


def signature_from_tables(
    *,
    expression: pd.DataFrame,
    groups: pd.Series,
    treatment: str,
    baseline: str,
    method: str,
    filter_by_expr: bool = False,
    robust: bool = False,
    keep_all_groups: bool = False,
) -> pd.DataFrame:
    """One row per gene: limma `gene logFC AveExpr t P.Value adj.P.Val B`;
    edgeR `gene logFC logCPM F PValue FDR` (LR for the LRT; no statistic for the exact test)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    spec = METHODS[method]
    known = set(groups.astype(str))
    for label, group in (("treatment", treatment), ("baseline", baseline)):
        if group not in known:
            raise ValueError(
                f"{label} group {group!r} is not in the groups file (groups: {', '.join(sorted(known))})"
            )
    if spec["engine"] == "limma":
        from analysis.engine.de import limma_two_group

        if filter_by_expr:
            raise ValueError("--filter-by-expr applies to the edgeR methods only")
        table = limma_two_group(
            expression,
            groups,
            treatment,
            baseline,
            trend=spec["trend"],
            robust=robust,
            keep_all_groups=keep_all_groups,
        )
    else:
        from analysis.engine.de import edger_two_group

        _require_integer_counts(expression)
        table = edger_two_group(
            expression,
            groups,
            treatment,
            baseline,
            method=spec["test"],
            filter=filter_by_expr,
            robust=robust,
            keep_all_groups=keep_all_groups,
        )
    if "gene" not in table.columns:
        table = table.rename_axis("gene").reset_index()
    return table


def _require_integer_counts(expression: pd.DataFrame) -> None:
    """edgeR models raw read counts; fractional values mean the table is not counts."""
    values = expression.select_dtypes("number").to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    fractional = finite[finite != np.round(finite)]
    if fractional.size:
        raise ValueError(
            f"edgeR needs raw integer read counts, found {fractional[0]:g}: use limma-trend "
            "for normalised or log-scale values"
        )
