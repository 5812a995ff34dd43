"""Run kind ``connectivity``: a query signature against a stored library (workflow 1).

params: ``source`` (see ``analysis.runs.sources``: a library signature, a build run or
an inline ``{"query": payload}`` as uploads produce), ``library`` (slug), ``metric``
(extreme, weighted, updown, pearson; randomset for gene lists) and ``top`` (rows kept).
Every signature of the library is scored exactly; ``connections`` keeps the ``top``
strongest, ``perturbagens`` aggregates all of them per perturbagen
(``engine.connectivity.perturbagen_connectivity``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.engine.connectivity import (
    ParsedQuery,
    QueryError,
    parse_query,
    perturbagen_connectivity,
)
from analysis.engine.connectivity.fast import fast_connectivity
from analysis.runs.registry import RunInputError, RunResult, register
from analysis.runs.sources import signature_table, validate_source
from analysis.runs.visibility import visible_libraries
from signatures.io import library_open
from signatures.models import Signature, SignatureLibrary
from signatures.selectors import resolve_genes

METRICS = ("extreme", "weighted", "updown", "pearson", "randomset")
METRICS_FOR_KIND = {
    "signature": ("extreme", "weighted", "updown", "pearson"),
    "updown": ("updown",),
    "genes": ("randomset",),
}
DEFAULT_TOP = 500
MAX_TOP = 10_000
ANNOTATION_COLUMNS = ["perturbagen", "perturbagen_id", "cell_line", "dose", "time"]


def _unit(value, unit: str) -> str:
    return "" if value is None else f"{value:g} {unit}".strip()


def _check_metric(kind: str, metric: str, library: SignatureLibrary, has_p: bool) -> None:
    allowed = METRICS_FOR_KIND[kind]
    if metric not in allowed:
        what = {"signature": "a full signature", "updown": "up/down lists", "genes": "a gene list"}
        raise RunInputError(
            f"the {metric} metric does not apply to {what[kind]}; choose {' or '.join(allowed)}"
        )
    if metric == "extreme" and not (has_p and library.has_pvalues):
        where = "the query" if not has_p else f"library {library.slug!r}"
        raise RunInputError(f"the extreme metric needs p-values, and {where} has none")


def validate(params: dict) -> dict:
    """Clean the parameters at submit time; RunInputError names the problem."""
    source = validate_source(params.get("source"))
    slug = params.get("library")
    library = visible_libraries().filter(slug=slug).first()
    if library is None:
        raise RunInputError(f"no signature library {slug!r}")
    metric = params.get("metric")
    if metric not in METRICS:
        raise RunInputError(f"metric must be one of {', '.join(METRICS)}")
    try:
        top = int(params.get("top", DEFAULT_TOP))
    except (TypeError, ValueError):
        raise RunInputError("top must be a whole number") from None
    if not 1 <= top <= MAX_TOP:
        raise RunInputError(f"top must lie between 1 and {MAX_TOP}")
    if "query" in source:
        parsed = _parse(source["query"])
        _check_metric(parsed.kind, metric, library, _has_p(parsed))
    else:  # stored and built signatures are full signatures; p-values are checked at run time
        _check_metric("signature", metric, library, has_p=True)
    return {"source": source, "library": slug, "metric": metric, "top": top}


def _has_p(parsed: ParsedQuery) -> bool:
    return getattr(parsed.query, "pvalue", None) is not None


def _parse(payload) -> ParsedQuery:
    try:
        return parse_query(payload, resolve=resolve_genes)
    except QueryError as exc:
        raise RunInputError(str(exc)) from None


def _source_query(source: dict) -> ParsedQuery:
    """The source as a parsed query (library signatures and build runs are full signatures)."""
    if "query" in source:
        return _parse(source["query"])
    table = signature_table(source)
    payload = {"genes": [str(int(g)) for g in table["entrez"]], "logFC": table["logFC"].tolist()}
    pvalue = table["pValue"].astype(float)
    if pvalue.notna().any():
        payload["pvalue"] = [None if np.isnan(v) else float(v) for v in pvalue]
    return _parse(payload)


def _annotations(library: SignatureLibrary) -> pd.DataFrame:
    rows = Signature.objects.filter(library=library).values_list(
        "accession",
        "perturbagen__name",
        "perturbagen__accession",
        "cell_line__name",
        "dose",
        "dose_unit",
        "time",
        "time_unit",
    )
    records = [
        (acc, name or "", pid or "", cell or "", _unit(dose, du), _unit(time, tu))
        for acc, name, pid, cell, dose, du, time, tu in rows
    ]
    return pd.DataFrame.from_records(records, columns=["signature", *ANNOTATION_COLUMNS])


def _ranked(scores: pd.DataFrame, metric: str, top: int) -> pd.DataFrame:
    key = scores["similarity"] if metric == "randomset" else scores["similarity"].abs()
    order = np.lexsort((scores.index.to_numpy(), -key.fillna(-np.inf).to_numpy()))
    return scores.iloc[order[:top]].reset_index(drop=True)


def _perturbagen_table(scores: pd.DataFrame) -> pd.DataFrame:
    usable = scores[~scores["lowOverlap"] & (scores["perturbagen_id"] != "")]
    if usable.empty:
        return pd.DataFrame(columns=["perturbagen", "perturbagen_id", "nSignatures", "zScore"])
    table = perturbagen_connectivity(
        usable["similarity"].to_numpy(dtype=float), usable["perturbagen_id"].to_numpy()
    )
    names = usable.drop_duplicates("perturbagen_id").set_index("perturbagen_id")["perturbagen"]
    table = table.rename(columns={"perturbagen": "perturbagen_id"})
    table.insert(0, "perturbagen", table["perturbagen_id"].map(names))
    order = np.lexsort((table["perturbagen"].to_numpy(), -table["zScore"].abs().to_numpy()))
    return table.iloc[order].reset_index(drop=True)


@register("connectivity", validate=validate, reads=("source", "library"))
def run_connectivity(params: dict, progress) -> RunResult:
    progress(5, "reading the query signature")
    parsed = _source_query(params["source"])
    library = SignatureLibrary.objects.get(slug=params["library"])
    _check_metric(parsed.kind, params["metric"], library, _has_p(parsed))
    progress(20, f"scoring {library.n_signatures:,} signatures of {library.slug}")
    matrices = library_open(slug=library.slug)
    try:
        result = fast_connectivity(parsed.query, matrices, metric=params["metric"], top=None)
    except ValueError as exc:
        raise RunInputError(str(exc)) from None
    progress(70, "aggregating perturbagens")
    scores = result.table.drop(columns=["column"]).merge(
        _annotations(library), on="signature", how="left"
    )
    scores[ANNOTATION_COLUMNS] = scores[ANNOTATION_COLUMNS].fillna("")
    connections = _ranked(scores, params["metric"], int(params["top"]))
    perturbagens = _perturbagen_table(scores)
    summary = {
        "library": library.slug,
        "metric": params["metric"],
        "query_kind": parsed.kind,
        "n_query_genes": parsed.n_given,
        "n_recognised": parsed.n_given - len(parsed.unknown),
        "n_genes_used": result.query_genes_used,
        "n_unknown": len(parsed.unknown),
        "unknown_genes": list(parsed.unknown[:50]),
        "n_signatures": result.n_signatures,
        "n_perturbagens": len(perturbagens),
    }
    return RunResult(
        tables={"connections": connections, "perturbagens": perturbagens},
        summary=summary,
        library_version=matrices.version,
    )
