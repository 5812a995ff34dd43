"""Figures of a finished build run: the volcano and the top genes' heatmap."""

from __future__ import annotations

import pandas as pd

from analysis import plots
from analysis.models import AnalysisRun
from analysis.runs.selectors import run_summary, run_table


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


FIGURES = {"build_signature": build_signature_figures}
