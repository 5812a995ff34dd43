"""Figures shown on a finished run's page, per kind (Bokeh components).

``run_figures`` looks the run's kind up in ``FIGURES``; each entry takes the run and returns
a list of Bokeh models (built by ``analysis.plots`` from the run's result tables).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from bokeh.embed import components
from django.conf import settings

from analysis import figures_interpret, plots
from analysis.models import AnalysisRun
from analysis.selectors import run_summary, run_table, run_table_names


def connectivity_figures(run: AnalysisRun) -> list:
    figures = []
    names = run_table_names(run=run)
    if "connections" in names:
        table = run_table(run=run, name="connections")
        if len(table):
            figures.append(plots.connections_bar(table, title="Top connected signatures"))
    if "perturbagens" in names:
        table = run_table(run=run, name="perturbagens")
        if len(table):
            # one perturbagen name may cover several accessions (e.g. two vemurafenib batches)
            name = table["perturbagen"].fillna("").astype(str)
            twice = name.duplicated(keep=False)
            table["label"] = name.where(~twice, name + " (" + table["perturbagen_id"] + ")")
            figures.append(
                plots.connections_bar(
                    table, label="label", value="zScore", title="Perturbagens (z-score)"
                )
            )
    return figures


def build_signature_figures(run: AnalysisRun) -> list:
    signature = run_table(run=run, name="signature")
    pcol = "P.Value" if "P.Value" in signature else "PValue"
    fdr = "adj.P.Val" if "adj.P.Val" in signature else "FDR"
    labelled = signature.assign(label=signature["symbol"].astype(object).fillna("").astype(str))
    labelled["label"] = labelled["label"].where(labelled["label"] != "", labelled["gene"])
    figures = [
        plots.volcano(
            labelled, gene="label", p=pcol, fdr=fdr, title="Volcano: treatment vs baseline"
        )
    ]
    values = run_table(run=run, name="top_genes_values")
    samples = run_summary(run=run).get("samples", {})
    order = [s for s in samples.get("treatment", []) + samples.get("baseline", []) if s in values]
    if len(values) and order:
        matrix = values.set_index("gene")[order].astype(float)
        matrix.index = [
            s if isinstance(s, str) and s else str(g)
            for g, s in zip(values["gene"], values["symbol"], strict=True)
        ]
        centred = matrix.sub(matrix.mean(axis=1), axis=0)
        centred = centred.loc[~pd.Index(centred.index).duplicated()]
        figures.append(
            plots.heatmap(
                centred,
                cluster=False,
                title="Top genes across the chosen samples (centred per gene; treatment first)",
            )
        )
    return figures


FIGURES: dict[str, Callable[[AnalysisRun], list]] = {
    "connectivity": connectivity_figures,
    "build_signature": build_signature_figures,
    **figures_interpret.FIGURES,  # enrichment, gsea, moa_genetic, moa_targets, signature_group
}


def run_figures(*, run: AnalysisRun) -> dict | None:
    """Return {"js": [...], "script": ..., "divs": [...]} for the run's plots, or None."""
    make = FIGURES.get(run.kind)
    if make is None or not run.result_dir:
        return None
    figures = make(run)
    if not figures:
        return None
    script, divs = components(figures)
    return {
        "js": plots.bokeh_js_urls(static_url=settings.STATIC_URL),
        "script": script,
        "divs": divs,
    }
