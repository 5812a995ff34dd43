"""Figures of a finished connectivity run: its top signatures and perturbagens as bars."""

from __future__ import annotations

from analysis import plots
from analysis.models import AnalysisRun
from analysis.runs.selectors import run_table, run_table_names


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


FIGURES = {"connectivity": connectivity_figures}
