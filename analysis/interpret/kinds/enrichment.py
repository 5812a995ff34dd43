"""Run kinds ``enrichment`` (over-representation) and ``gsea`` (preranked GSEA).

enrichment params: ``source`` (see ``analysis.runs.sources``) or ``genes`` (a list of
symbols or Entrez ids); ``genesets`` (gene-set library slugs, default every installed one);
``n_top`` (100: top up and top down genes of a signature); ``rank_by`` ("auto": signed
significance when the signature has p-values, else logFC; or "logFC"/"significance");
``min_size``/``max_size`` (5/2000). Background: the signature's measured genes; for a plain
gene list, the genes of each gene-set library plus the list (an Enrichr-like background).

gsea params: ``source`` (a full signature), ``genesets`` (default every installed library),
``rank_by`` ("logFC"), ``n_perm`` (1000), ``min_size``/``max_size`` (15/500), ``seed`` (0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.choices import RunKind
from analysis.engine.enrichment import gsea_preranked, ora, ora_signature
from analysis.interpret.selectors import (
    gene_sets,
    scores_by_symbol,
    symbols,
    validate_geneset_slugs,
)
from analysis.runs.registry import ProgressFn, RunInputError, RunResult, checkpoint, register
from analysis.runs.sources import signature_table, validate_source

RANK_BY = ("auto", "logFC", "significance")
CURVES = 6  # GSEA running sums kept for the plots: the best 3 up and 3 down sets


def _int(params: dict, key: str, default: int, low: int, high: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RunInputError(f"{key} must be an integer between {low} and {high}")
    return value


def _gene_list(values) -> list[str]:
    if (
        not isinstance(values, list)
        or not values
        or not all(isinstance(v, str | int) for v in values)
    ):
        raise RunInputError("genes must be a non-empty list of gene symbols or Entrez ids")
    return [str(v).strip() for v in values if str(v).strip()]


def validate_enrichment(params: dict) -> dict:
    if ("source" in params) == ("genes" in params):
        raise RunInputError("give either 'source' (a signature) or 'genes' (a gene list)")
    clean = {
        "genesets": validate_geneset_slugs(params.get("genesets")),
        "n_top": _int(params, "n_top", 100, 5, 2000),
        "min_size": _int(params, "min_size", 5, 1, 10000),
        "max_size": _int(params, "max_size", 2000, 1, 100000),
    }
    rank_by = params.get("rank_by", "auto")
    if rank_by not in RANK_BY:
        raise RunInputError(f"rank_by must be one of {', '.join(RANK_BY)}")
    clean["rank_by"] = rank_by
    if "source" in params:
        clean["source"] = validate_source(params["source"])
    else:
        clean["genes"] = _gene_list(params["genes"])
    return clean


def _symbols_of(genes: list[str]) -> tuple[list[str], list[str]]:
    """Gene ids as symbols (Entrez ids mapped through the gene table) and the unknown ones."""
    names = symbols([g for g in genes if g.isdigit()])
    out, unknown = [], []
    for g in genes:
        symbol = names.get(int(g)) if g.isdigit() else g.upper()
        (out if symbol else unknown).append(symbol or g)
    return list(dict.fromkeys(out)), unknown


def _signature_ora(params, progress) -> tuple[pd.DataFrame, dict]:
    table = signature_table(params["source"])
    if table["logFC"].isna().all():  # a plain gene list given as a source
        return _list_ora(table["symbol"].astype(str).tolist(), params, progress)
    rank_by = params["rank_by"]
    if rank_by == "auto":
        rank_by = "significance" if table["pValue"].notna().any() else "logFC"
    scores = scores_by_symbol(table, rank_by=rank_by)
    parts = []
    for i, slug in enumerate(params["genesets"]):
        progress(10 + 80 * i // len(params["genesets"]), f"gene-set library {slug}")
        try:
            part = ora_signature(
                scores,
                gene_sets(slug),
                n_top=params["n_top"],
                min_size=params["min_size"],
                max_size=params["max_size"],
            )
        except ValueError as exc:
            raise RunInputError(str(exc)) from None
        parts.append(part.assign(library=slug))
    summary = {"mode": "signature", "rank_by": rank_by, "background_size": int(len(scores))}
    return pd.concat(parts, ignore_index=True), summary


def _list_ora(genes: list[str], params, progress) -> tuple[pd.DataFrame, dict]:
    chosen, unknown = _symbols_of(genes)
    parts = []
    for i, slug in enumerate(params["genesets"]):
        progress(10 + 80 * i // len(params["genesets"]), f"gene-set library {slug}")
        sets = gene_sets(slug)
        background = set().union(*sets.values()) | set(chosen)
        try:
            part = ora(
                chosen,
                sets,
                background=background,
                min_size=params["min_size"],
                max_size=params["max_size"],
            )
        except ValueError as exc:
            raise RunInputError(str(exc)) from None
        parts.append(part.assign(library=slug, direction="list"))
    summary = {"mode": "gene list", "n_genes": len(chosen), "unknown_genes": unknown[:100]}
    return pd.concat(parts, ignore_index=True), summary


@register(RunKind.ENRICHMENT, validate=validate_enrichment, reads=("source",))
def run_enrichment(params: dict, progress: ProgressFn) -> RunResult:
    progress(5, "reading the signature")
    if "genes" in params:
        table, summary = _list_ora(params["genes"], params, progress)
    else:
        table, summary = _signature_ora(params, progress)
    columns = [
        "library",
        "direction",
        *[c for c in table.columns if c not in ("library", "direction")],
    ]
    table = table[columns].sort_values(["p_value", "library", "term"], kind="stable")
    significant = table[table.fdr < 0.05]
    summary |= {
        "genesets": params["genesets"],
        "n_terms_tested": int(len(table)),
        "n_terms_fdr_0_05": int(len(significant)),
        "top_terms": [
            f"{r.term} ({r.library}, {r.direction}, FDR {r.fdr:.2g})"
            for r in table.head(5).itertuples()
        ],
    }
    return RunResult(tables={"enrichment": table.reset_index(drop=True)}, summary=summary)


def validate_gsea(params: dict) -> dict:
    if "source" not in params:
        raise RunInputError("GSEA needs 'source': a full signature (genes with values)")
    rank_by = params.get("rank_by", "logFC")
    if rank_by not in RANK_BY[1:]:
        raise RunInputError("rank_by must be 'logFC' or 'significance'")
    return {
        "source": validate_source(params["source"]),
        "genesets": validate_geneset_slugs(params.get("genesets")),
        "rank_by": rank_by,
        "n_perm": _int(params, "n_perm", 1000, 10, 10000),
        "min_size": _int(params, "min_size", 15, 1, 10000),
        "max_size": _int(params, "max_size", 500, 1, 100000),
        "seed": _int(params, "seed", 0, 0, 2**31 - 1),
    }


@register(RunKind.GSEA, validate=validate_gsea, reads=("source",))
def run_gsea(params: dict, progress: ProgressFn) -> RunResult:
    progress(5, "reading the signature")
    table = signature_table(params["source"])
    if table["logFC"].isna().all():
        raise RunInputError("GSEA needs a full signature with values, not a gene list")
    if params["rank_by"] == "significance" and table["pValue"].isna().all():
        raise RunInputError("the signature has no p-values: use rank_by 'logFC'")
    scores = scores_by_symbol(table, rank_by=params["rank_by"])
    results, parts = {}, []
    for i, slug in enumerate(params["genesets"]):
        progress(10 + 80 * i // len(params["genesets"]), f"GSEA on {slug}")
        try:
            result = gsea_preranked(
                scores,
                gene_sets(slug),
                n_perm=params["n_perm"],
                min_size=params["min_size"],
                max_size=params["max_size"],
                seed=params["seed"],
                check=checkpoint(progress),
            )
        except ValueError:
            continue  # no set of this library has a testable size here
        results[slug] = result
        parts.append(result.table.assign(library=slug))
    if not parts:
        raise RunInputError("no gene set has a size within [min_size, max_size] in the signature")
    gsea = pd.concat(parts, ignore_index=True)
    gsea = gsea[["library", *[c for c in gsea.columns if c != "library"]]]
    gsea = gsea.sort_values(["p_value", "fdr", "library", "term"], kind="stable")
    ranking = next(iter(results.values())).ranking
    tables = {"gsea": gsea.reset_index(drop=True), **_curves(gsea, results)}
    tables["ranking"] = pd.DataFrame(
        {"rank": np.arange(len(ranking)), "gene": ranking.index, "score": ranking.to_numpy()}
    )
    best = gsea.head(5)
    summary = {
        "genesets": params["genesets"],
        "rank_by": params["rank_by"],
        "n_genes_ranked": int(len(ranking)),
        "n_sets_tested": int(len(gsea)),
        "n_sets_fdr_0_25": int((gsea.fdr < 0.25).sum()),
        "top_sets": [
            f"{r.term} ({r.library}, NES {r.nes:.2f}, FDR {r.fdr:.2g})" for r in best.itertuples()
        ],
    }
    return RunResult(tables=tables, summary=summary)


def _curves(gsea: pd.DataFrame, results: dict) -> dict[str, pd.DataFrame]:
    """Running sums and hit positions of the best up and down sets, for the plots."""
    ordered = gsea.sort_values(["p_value", "fdr"], kind="stable")
    chosen = pd.concat(
        [ordered[ordered.nes >= 0].head(CURVES // 2), ordered[ordered.nes < 0].head(CURVES // 2)]
    )
    curves, hits = [], []
    for row in chosen.itertuples():
        result = results[row.library]
        running = result.running_sums[row.term]
        positions = result.hits[row.term]
        curves.append(
            pd.DataFrame(
                {
                    "library": row.library,
                    "term": row.term,
                    "rank": np.arange(len(running)),
                    "es": running,
                }
            )
        )
        hits.append(
            pd.DataFrame(
                {
                    "library": row.library,
                    "term": row.term,
                    "rank": positions,
                    "gene": result.ranking.index.to_numpy()[positions],
                }
            )
        )
    if not curves:
        return {}
    return {
        "gsea_curves": pd.concat(curves, ignore_index=True),
        "gsea_hits": pd.concat(hits, ignore_index=True),
    }
