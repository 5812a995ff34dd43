"""Template tags of the workflow pages: follow-up actions and download links on a run page."""

import pandas as pd
from django import template
from django.urls import NoReverseMatch, reverse

from analysis.connectivity.forms import METRIC_LABELS
from analysis.runs.downloads import is_signature_table
from signatures.models import SignatureLibrary

register = template.Library()


@register.inclusion_tag("analysis/build_actions.html")
def build_actions(run):
    """'Connectivity with this signature' and 'Enrichment' for a finished build run."""
    try:
        enrichment = reverse("analysis:enrichment") + f"?run={run.pk}"
    except NoReverseMatch:
        enrichment = None
    libraries = SignatureLibrary.objects.filter(is_public=True).order_by("name")
    metrics = [(m, METRIC_LABELS[m]) for m in ("pearson", "weighted", "updown", "extreme")]
    show = run.kind == "build_signature" and run.status == "succeeded"
    return {
        "run": run,
        "show": show,
        "libraries": libraries,
        "metrics": metrics,
        "enrichment": enrichment,
    }


@register.inclusion_tag("analysis/table_downloads.html")
def table_downloads(run, name, columns):
    """TSV, CSV and Excel links for a result table, and GCT when it is a signature."""
    gct = is_signature_table(pd.DataFrame(columns=list(columns)))
    formats = [("tsv", "TSV"), ("csv", "CSV"), ("xlsx", "Excel")] + (
        [("gct", "GCT")] if gct else []
    )
    return {"run": run, "name": name, "formats": formats}


SUMMARY_LABELS = {
    "n_query_genes": "query genes given",
    "n_recognised": "recognised",
    "n_genes_used": "used by the metric (in the library)",
    "n_unknown": "not recognised",
    "unknown_genes": "unrecognised genes (first 50)",
    "n_signatures": "signatures scored",
    "n_perturbagens": "perturbagens",
    "group_sizes": "group sizes",
    "n_genes": "genes tested",
    "n_mapped": "genes with an Entrez id",
    "n_fdr_below_0_05": "genes with FDR < 0.05",
}
HIDDEN = {"tables", "samples"}


@register.inclusion_tag("analysis/run_summary.html")
def run_summary_card(run, summary):
    """The run's summary as label/value rows (lists joined, long lists cut)."""
    rows = []
    for key, value in (summary or {}).items():
        if key in HIDDEN:
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(map(str, value)) or "none"
        rows.append((SUMMARY_LABELS.get(key, key.replace("_", " ")), value))
    return {"rows": rows}
