"""Run kind ``build_signature``: a differential-expression signature from a dataset (workflow 2).

params: ``dataset`` (accession), ``treatment`` and ``baseline`` (metadata predicates, see
``analysis.engine.de.design``), ``method`` (``analysis.build.services.METHODS``) and
``filter_by_expr`` (edgeR methods). Tables: ``signature`` (gene, entrez, symbol and the
method's statistics, every gene), ``top_genes`` (the 100 smallest p-values) and
``top_genes_values`` (the 50 top genes' values across the chosen samples, log2-CPM for
counts), which the run page draws as a heatmap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.build.services import METHODS, signature_from_tables
from analysis.engine.de import DesignError, groups_from_predicates
from analysis.runs.registry import RunInputError, RunResult, register
from analysis.runs.visibility import visible_datasets
from catalog.choices import Scale
from catalog.models import Dataset, Sample
from catalog.storage import dataset_matrix
from signatures.models import Gene

N_TOP = 100
N_HEATMAP = 50


def dataset_metadata(dataset: Dataset) -> pd.DataFrame:
    """Samples x metadata fields (strings), indexed by sample name in matrix order."""
    rows = Sample.objects.filter(dataset=dataset).order_by("position")
    records = {
        s.name: {k: "" if v is None else str(v) for k, v in s.metadata.items()} for s in rows
    }
    return pd.DataFrame.from_dict(records, orient="index").fillna("")


def _check_method(dataset: Dataset, method: str, filter_by_expr: bool) -> None:
    if method not in METHODS:
        raise RunInputError(f"method must be one of {', '.join(METHODS)}")
    is_edger = METHODS[method]["engine"] == "edger"
    counts = dataset.scale == Scale.COUNTS
    if is_edger and not counts:
        raise RunInputError(
            f"{method} models raw read counts, and {dataset.accession} holds "
            f"{dataset.get_scale_display().lower()} values: choose limma or limma-trend"
        )
    if not is_edger and counts:
        raise RunInputError(
            f"{method} expects log-scale values, and {dataset.accession} holds raw counts: "
            "choose an edgeR method"
        )
    if filter_by_expr and not is_edger:
        raise RunInputError("filter_by_expr applies to the edgeR methods only")


def validate(params: dict) -> dict:
    accession = params.get("dataset")
    dataset = visible_datasets().filter(accession=accession).first()
    if dataset is None:
        raise RunInputError(f"no dataset {accession!r}")
    for role in ("treatment", "baseline"):
        if not isinstance(params.get(role), str) or not params[role].strip():
            raise RunInputError(f"{role} must be a metadata predicate such as 'condition=Mock'")
    method = params.get("method", "limma")
    filter_by_expr = bool(params.get("filter_by_expr", False))
    _check_method(dataset, method, filter_by_expr)
    groups = sample_groups(dataset, params["treatment"], params["baseline"])
    _check_sizes(groups)
    return {
        "dataset": accession,
        "treatment": params["treatment"].strip(),
        "baseline": params["baseline"].strip(),
        "method": method,
        "filter_by_expr": filter_by_expr,
    }


def sample_groups(dataset: Dataset, treatment: str, baseline: str) -> pd.Series:
    """Sample name -> "treatment"/"baseline"; RunInputError for bad, empty or overlapping groups."""
    metadata = dataset_metadata(dataset)
    if metadata.empty:
        raise RunInputError(f"{dataset.accession} has no sample metadata to choose groups from")
    try:
        return groups_from_predicates(metadata, treatment=treatment, baseline=baseline)
    except DesignError as exc:
        raise RunInputError(str(exc)) from None


def _check_sizes(groups: pd.Series) -> None:
    if len(groups) < 3:
        raise RunInputError(
            f"{len(groups)} samples leave no residual degree of freedom: "
            "choose at least two samples in one of the groups"
        )


def _gene_map(features: pd.Index) -> pd.DataFrame:
    """Entrez id and symbol per feature id (digits = Entrez id, else symbol), where known."""
    known = Gene.objects.values_list("entrez_id", "symbol")
    by_symbol, by_id = {}, {}
    for entrez, symbol in known:
        by_symbol.setdefault(symbol.upper(), (entrez, symbol))
        by_id[entrez] = symbol
    entrez, symbols = [], []
    for feature in map(str, features):
        if feature.isdigit() and int(feature) in by_id:
            hit = (int(feature), by_id[int(feature)])
        else:
            hit = by_symbol.get(feature.upper(), (None, ""))
        entrez.append(hit[0])
        symbols.append(hit[1])
    return pd.DataFrame({"entrez": pd.array(entrez, dtype="Int64"), "symbol": symbols})


def _log_cpm(counts: pd.DataFrame) -> pd.DataFrame:
    lib = counts.sum(axis=0).replace(0, 1)
    return np.log2((counts + 0.5) / (lib + 1.0) * 1e6)


def _pcol(table: pd.DataFrame) -> str:
    return "P.Value" if "P.Value" in table else "PValue"


@register("build_signature", validate=validate, reads=("dataset",))
def run_build_signature(params: dict, progress) -> RunResult:
    progress(5, "reading the dataset")
    dataset = Dataset.objects.get(accession=params["dataset"])
    groups = sample_groups(dataset, params["treatment"], params["baseline"])
    _check_sizes(groups)
    matrix = dataset_matrix(dataset)
    missing = groups.index.difference(matrix.columns)
    if len(missing):
        raise RunInputError(f"sample {missing[0]!r} has metadata but no values in the matrix")
    expression = pd.DataFrame(
        np.array(matrix[groups.index]), index=matrix.index, columns=groups.index
    )
    progress(20, f"fitting {params['method']} on {expression.shape[0]:,} genes")
    try:
        table = signature_from_tables(
            expression=expression,
            groups=groups,
            treatment="treatment",
            baseline="baseline",
            method=params["method"],
            filter_by_expr=params.get("filter_by_expr", False),
        )
    except ValueError as exc:
        raise RunInputError(str(exc)) from None
    progress(85, "mapping genes and writing tables")
    table = table.reset_index(drop=True)
    mapped = _gene_map(pd.Index(table["gene"].astype(str)))
    table.insert(1, "entrez", mapped["entrez"])
    table.insert(2, "symbol", mapped["symbol"])
    pcol = _pcol(table)
    top = table.sort_values(pcol, kind="stable").head(N_TOP).reset_index(drop=True)
    values = _log_cpm(expression) if dataset.scale == Scale.COUNTS else expression
    heat = values.loc[top["gene"].head(N_HEATMAP).astype(str)]
    heat.insert(0, "symbol", top["symbol"].head(N_HEATMAP).to_numpy())
    heat = heat.rename_axis("gene").reset_index()
    fdr = table["adj.P.Val" if "adj.P.Val" in table else "FDR"]
    summary = {
        "dataset": dataset.accession,
        "method": params["method"],
        "treatment": params["treatment"],
        "baseline": params["baseline"],
        "group_sizes": {k: int(v) for k, v in groups.value_counts().items()},
        "samples": {g: groups.index[groups == g].tolist() for g in ("treatment", "baseline")},
        "n_genes": len(table),
        "n_mapped": int(table["entrez"].notna().sum()),
        "n_fdr_below_0_05": int((fdr < 0.05).sum()),
        "values": "log2-CPM" if dataset.scale == Scale.COUNTS else dataset.get_scale_display(),
    }
    return RunResult(
        tables={"signature": table, "top_genes": top, "top_genes_values": heat},
        summary=summary,
        library_version=dataset.checksum,
    )
