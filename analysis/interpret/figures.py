"""Figures of the interpretation run kinds (enrichment, GSEA, MoA, signature group).

Each function takes a finished run and returns a list of Bokeh models built by
``analysis.plots`` from the run's stored tables; ``analysis.runs.pages.run_figures`` embeds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import plots
from analysis.engine.enrichment import GseaResult
from analysis.models import AnalysisRun
from analysis.runs.selectors import run_table, run_table_names

TOP_TERMS = 20


def _table(run: AnalysisRun, name: str) -> pd.DataFrame | None:
    if name not in run_table_names(run=run):
        return None
    return run_table(run=run, name=name)


def _term_bars(table: pd.DataFrame, *, label: str, title: str):
    """Top terms as bars of −log10 FDR (signed: down-regulated direction drawn negative)."""
    frame = table.dropna(subset=["fdr"]).sort_values("p_value", kind="stable").head(TOP_TERMS)
    if frame.empty:
        return None
    frame = frame.copy()
    sign = np.where(frame.get("direction", pd.Series("up", index=frame.index)) == "down", -1, 1)
    frame["neg_log10_fdr"] = sign * -np.log10(np.fmax(frame.fdr.to_numpy(float), 1e-300))
    frame["label"] = [f"{t[:60]} [{lib}]" for t, lib in zip(frame.term, frame[label], strict=True)]
    frame = frame.drop_duplicates("label")
    return plots.connections_bar(
        frame, label="label", value="neg_log10_fdr", n=TOP_TERMS, title=title
    )


def enrichment_figures(run: AnalysisRun) -> list:
    table = _table(run, "enrichment")
    if table is None:
        return []
    bar = _term_bars(table, label="library", title="Top gene sets (−log10 FDR; down as negative)")
    return [bar] if bar is not None else []


def gsea_figures(run: AnalysisRun) -> list:
    curves, hits, ranking = (_table(run, n) for n in ("gsea_curves", "gsea_hits", "ranking"))
    gsea = _table(run, "gsea")
    if curves is None or hits is None or ranking is None or gsea is None:
        return []
    ranked = pd.Series(ranking.score.to_numpy(), index=ranking.gene.astype(str).to_numpy())
    figures = []
    for (library, term), curve in curves.groupby(["library", "term"], sort=False):
        rows = gsea[(gsea.library == library) & (gsea.term == term)]
        positions = hits[(hits.library == library) & (hits.term == term)]["rank"].to_numpy()
        result = GseaResult(
            table=rows.drop(columns="library"),
            ranking=ranked,
            running_sums={term: curve.sort_values("rank").es.to_numpy()},
            hits={term: positions},
        )
        figures.append(plots.gsea_plot(result, term))
    return figures


def moa_genetic_figures(run: AnalysisRun) -> list:
    figures = []
    connected = _table(run, "connected")
    if connected is not None and len(connected):
        connected = connected.assign(
            label=connected.signature + " (" + connected.knocked_down_gene.astype(str) + ")"
        )
        figures.append(
            plots.connections_bar(connected, label="label", title="Connected knock-downs")
        )
    pathways = _table(run, "pathways")
    if pathways is not None and len(pathways):
        bar = _term_bars(pathways, label="library", title="Pathways of the knocked-down genes")
        if bar is not None:
            figures.append(bar)
    return figures


def moa_targets_figures(run: AnalysisRun) -> list:
    figures = []
    connected = _table(run, "connected")
    if connected is not None and len(connected):
        connected = connected.assign(
            label=connected.signature + " (" + connected.perturbagen.fillna("").astype(str) + ")"
        )
        figures.append(plots.connections_bar(connected, label="label", title="Connected compounds"))
    terms = _table(run, "terms")
    if terms is not None and len(terms):
        bar = _term_bars(terms, label="kind", title="Targets and MoA classes (−log10 FDR)")
        if bar is not None:
            figures.append(bar)
    return figures


def signature_group_figures(run: AnalysisRun) -> list:
    figures = []
    heatmap = _table(run, "heatmap")
    if heatmap is not None:
        matrix = heatmap.set_index("symbol").drop(columns="entrez")
        matrix = matrix[~matrix.index.duplicated()]
        figures.append(plots.heatmap(matrix, cluster=False, title="Most variable genes"))
    embedding = _table(run, "embedding")
    if embedding is not None:
        coords = embedding.set_index("signature")
        labels = coords.perturbagen.fillna("").astype(str)
        figures.append(plots.embedding_scatter(coords[["PC1", "PC2"]], labels=labels, title="PCA"))
        if "tSNE1" in coords:
            figures.append(
                plots.embedding_scatter(coords[["tSNE1", "tSNE2"]], labels=labels, title="t-SNE")
            )
    corr = _table(run, "correlation")
    if corr is not None:
        matrix = corr.set_index("signature")
        figures.append(plots.heatmap(matrix, cluster=False, title="Correlation matrix", limit=1.0))
    return figures


FIGURES = {
    "enrichment": enrichment_figures,
    "gsea": gsea_figures,
    "moa_genetic": moa_genetic_figures,
    "moa_targets": moa_targets_figures,
    "signature_group": signature_group_figures,
}
