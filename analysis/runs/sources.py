"""Where an analysis gets its signature from, resolved to one table.

A *source* is a small JSON object in a run's parameters, one of:

- ``{"signature": "LINCSCP_100"}``: a stored library signature (through ``signatures.io``);
- ``{"run": 12}``: the signature table of a finished ``build_signature`` run;
- ``{"query": {...}}``: an inline payload as the connectivity API takes it (genes + logFC
  [+ pvalue], or up/down lists, or a gene list).

``signature_table`` returns a DataFrame with columns ``entrez`` (int64), ``symbol``, ``logFC``
and ``pValue`` (NaN when the source has none), one row per recognised gene.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.choices import RunKind, RunStatus
from analysis.models import AnalysisRun
from analysis.runs.registry import RunInputError
from signatures.io import library_open
from signatures.models import Gene, Signature

SOURCE_KEYS = ("signature", "run", "query")


def validate_source(source) -> dict:
    """The source, checked against what the current submitter may read
    (``analysis.runs.visibility``): a signature of a library they may not see and a run they may
    not see are refused in the same words as ones that do not exist."""
    from analysis.runs.visibility import visible_run, visible_signatures

    if not isinstance(source, dict) or sum(k in source for k in SOURCE_KEYS) != 1:
        raise RunInputError(
            "source must be exactly one of {'signature': accession}, {'run': id} or {'query': {...}}"
        )
    if "signature" in source:
        accession = source["signature"]
        if not isinstance(accession, str) or not accession:
            raise RunInputError("source.signature must be a signature accession (text)")
        if not visible_signatures().filter(accession=accession).exists():
            raise RunInputError(f"no signature {accession!r}")
        return source
    if "run" in source:
        run = visible_run(source["run"])
        if run is None or run.kind != RunKind.BUILD_SIGNATURE:
            raise RunInputError(f"run {source['run']!r} is not a signature-building run")
        if run.status != RunStatus.SUCCEEDED:
            raise RunInputError(f"run {run.pk} has not finished successfully")
        return {**source, "run": run.pk}
    if not isinstance(source["query"], dict):
        raise RunInputError("source.query must be a JSON object (genes with values, or up/down)")
    return source


def _symbols(entrez: np.ndarray) -> list[str]:
    names = dict(
        Gene.objects.filter(entrez_id__in=entrez.tolist()).values_list("entrez_id", "symbol")
    )
    return [names.get(int(e), str(e)) for e in entrez]


def library_signature_table(accession: str) -> pd.DataFrame:
    signature = Signature.objects.select_related("library").get(accession=accession)
    matrices = library_open(slug=signature.library.slug)
    j = matrices.column(accession)
    logfc = np.asarray(matrices.logfc[:, j], dtype=np.float64)
    pvalue = (
        np.asarray(matrices.pvalue[:, j], dtype=np.float64)
        if matrices.pvalue is not None
        else np.full(len(logfc), np.nan)
    )
    keep = ~np.isnan(logfc)
    genes = matrices.genes[keep]
    return pd.DataFrame(
        {"entrez": genes, "symbol": _symbols(genes), "logFC": logfc[keep], "pValue": pvalue[keep]}
    )


def run_signature_table(run_id: int) -> pd.DataFrame:
    from analysis.runs.selectors import run_table

    run = AnalysisRun.objects.get(pk=run_id)
    table = run_table(run=run, name="signature")
    pcol = "P.Value" if "P.Value" in table else "PValue"
    table = table.dropna(subset=["entrez"])
    return pd.DataFrame(
        {
            "entrez": table["entrez"].astype(np.int64),
            "symbol": table["symbol"].astype(str),
            "logFC": table["logFC"].astype(float),
            "pValue": table[pcol].astype(float) if pcol in table else np.nan,
        }
    ).reset_index(drop=True)


def signature_table(source: dict) -> pd.DataFrame:
    """The source's genes with logFC and p-value (see the module docstring)."""
    if "signature" in source:
        return library_signature_table(source["signature"])
    if "run" in source:
        return run_signature_table(int(source["run"]))
    from analysis.engine.connectivity import QueryError, parse_query
    from signatures.selectors import resolve_genes

    try:
        parsed = parse_query(source["query"], resolve=resolve_genes)
    except QueryError as exc:
        raise RunInputError(str(exc)) from None
    q = parsed.query
    genes = np.concatenate([q.up, q.down]) if hasattr(q, "up") else np.asarray(q.genes)
    if hasattr(q, "up"):
        logfc = np.concatenate([np.ones(len(q.up)), -np.ones(len(q.down))])
    else:
        logfc = getattr(q, "logfc", None)
        logfc = np.full(len(genes), np.nan) if logfc is None else logfc
    pvalue = getattr(q, "pvalue", None)
    return pd.DataFrame(
        {
            "entrez": genes.astype(np.int64),
            "symbol": _symbols(genes),
            "logFC": logfc,
            "pValue": np.full(len(genes), np.nan) if pvalue is None else pvalue,
        }
    )
