"""Run kind ``signature_group``: several signatures -> clustering, PCA, t-SNE, correlations.

Params: ``signatures`` (2-200 stored signature accessions, possibly of different libraries;
their shared genes are used, genes missing in any signature are dropped); ``n_genes`` (50: the
heatmap shows the genes with the largest variance across the signatures); ``method``
("pearson" or "spearman" for the correlation matrix); ``seed`` (t-SNE, 0). t-SNE needs at
least 3 signatures and is skipped (with a note) below that.
"""

from __future__ import annotations

import pandas as pd

from analysis.choices import RunKind
from analysis.engine.explore import cluster, correlation_matrix, pca, tsne
from analysis.interpret.kinds.enrichment import _int
from analysis.interpret.selectors import signature_columns, symbols
from analysis.runs.registry import ProgressFn, RunInputError, RunResult, register
from analysis.runs.visibility import visible_signatures
from signatures.models import Signature

MAX_SIGNATURES = 200


def validate_group(params: dict) -> dict:
    accessions = params.get("signatures")
    if isinstance(accessions, str):
        accessions = [a for a in accessions.replace(",", " ").split() if a]
    if not isinstance(accessions, list) or not all(isinstance(a, str) for a in accessions):
        raise RunInputError("signatures must be a list of signature accessions")
    accessions = list(dict.fromkeys(accessions))
    if not 2 <= len(accessions) <= MAX_SIGNATURES:
        raise RunInputError(f"choose between 2 and {MAX_SIGNATURES} signatures")
    known = set(
        visible_signatures().filter(accession__in=accessions).values_list("accession", flat=True)
    )
    missing = [a for a in accessions if a not in known]
    if missing:
        raise RunInputError(f"unknown signature(s): {', '.join(missing[:10])}")
    method = params.get("method", "pearson")
    if method not in ("pearson", "spearman"):
        raise RunInputError("method must be 'pearson' or 'spearman'")
    return {
        "signatures": accessions,
        "n_genes": _int(params, "n_genes", 50, 2, 2000),
        "method": method,
        "seed": _int(params, "seed", 0, 0, 2**31 - 1),
    }


def _labels(accessions: list[str]) -> pd.DataFrame:
    rows = Signature.objects.filter(accession__in=accessions).values_list(
        "accession", "perturbagen__name", "cell_line__name", "library__slug"
    )
    frame = pd.DataFrame(rows, columns=["signature", "perturbagen", "cell_line", "library"])
    return frame.set_index("signature").reindex(accessions).fillna("")


@register(RunKind.SIGNATURE_GROUP, validate=validate_group, reads=("signatures",))
def run_signature_group(params: dict, progress: ProgressFn) -> RunResult:
    accessions = params["signatures"]
    progress(5, "reading the signatures")
    matrix = signature_columns(accessions)
    complete = matrix.dropna(axis=0, how="any")
    if len(complete) < 3:
        raise RunInputError(
            f"the signatures share only {len(complete)} measured genes; choose signatures of "
            "libraries with a common gene space"
        )
    labels = _labels(accessions)
    progress(20, "correlations and clustering")
    corr = correlation_matrix(complete, method=params["method"])
    order = cluster(complete).order
    progress(40, "PCA")
    embedding = pca(complete, n_components=min(3, len(accessions)))
    coords = embedding.coords.join(labels)
    notes = []
    if len(accessions) >= 3:
        progress(60, "t-SNE")
        coords = coords.join(tsne(complete, seed=params["seed"]).coords)
    else:
        notes.append("t-SNE needs at least 3 signatures")
    progress(85, "heatmap genes")
    top = (
        complete.var(axis=1).sort_values(ascending=False, kind="stable").index[: params["n_genes"]]
    )
    names = symbols(top)
    heatmap = complete.loc[top, order]
    heatmap.insert(0, "symbol", [names.get(int(g), str(g)) for g in top])
    heatmap.index.name = "entrez"
    summary = {
        "n_signatures": len(accessions),
        "n_shared_genes": int(len(complete)),
        "explained_variance": [round(float(v), 4) for v in embedding.explained_variance_ratio],
        "cluster_order": order,
        "notes": notes,
    }
    corr = corr.loc[order, order]
    corr.index.name = "signature"
    coords.index.name = "signature"
    return RunResult(
        tables={
            "correlation": corr.reset_index(),
            "embedding": coords.reset_index(),
            "heatmap": heatmap.reset_index(),
        },
        summary=summary,
    )
