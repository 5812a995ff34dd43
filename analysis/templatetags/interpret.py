"""Analysis sections for the catalogue pages of the ``signatures`` app.

``{% load interpret %}{% signature_interpretation signature %}`` (and ``gene_…``,
``perturbagen_…``): ``signatures`` may not import ``analysis``, so its templates pull these
sections in. Each tag calls selectors in ``analysis.interpret.selectors`` and renders one template.
"""

from __future__ import annotations

import pandas as pd
from django import template

from analysis import plots
from analysis.interpret import selectors as interpret
from analysis.interpret.views import bokeh_context
from analysis.runs.registry import RunInputError
from catalog.selectors import dataset_list
from signatures.io import LibraryCorrupt
from signatures.models import Signature
from signatures.selectors import library_list, signature_list

register = template.Library()
TOP_VALUES = 50
TOP_PERTURBAGENS = 15
#: A catalogue row whose library has no (or unreadable) stored values: say so, do not crash.
VALUES_MISSING = (FileNotFoundError, KeyError, LibraryCorrupt)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _connections(signature: Signature) -> dict | None:
    from analysis.connectivity.services import signature_connections

    try:
        found = signature_connections(signature=signature, k=20)
    except (FileNotFoundError, KeyError):
        return None
    return found


def _collections_of(user) -> list:
    # Through the reverse relation: analysis may not import collections_app.
    if user is None or not user.is_authenticated:
        return []
    return list(user.user_collections.order_by("name"))


@register.inclusion_tag("analysis/enrich_signature_panel.html", takes_context=True)
def signature_interpretation(context, signature: Signature):
    try:
        values = interpret.signature_values(signature)
    except VALUES_MISSING as exc:
        return {
            "signature": signature,
            "missing": str(exc),
            "csrf_token": context.get("csrf_token"),
        }
    volcano = plots.volcano(
        values.assign(gene=values.symbol), gene="gene", p="pValue", fdr=None, title="Volcano plot"
    )
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "signature": signature,
        "user": context.get("user"),
        "collections": _collections_of(context.get("user")),
        "values": _records(values.head(TOP_VALUES)),
        "n_values": len(values),
        "p_source": values.p_source.iloc[0] if len(values) else "",
        "connections": _connections(signature),
        "figures": bokeh_context([volcano]),
    }


def _chosen_library(request, gene):
    user = request.user if request else None
    libraries = list(library_list(user=user).order_by("name"))
    wanted = request.GET.get("library") if request else None
    ordered = sorted(libraries, key=lambda lib: lib.slug != wanted)
    for library in ordered:
        try:
            frame = interpret.gene_across_library(gene, library)
        except VALUES_MISSING:
            continue
        if frame is not None:
            return library, libraries, frame
    return None, libraries, None


@register.inclusion_tag("analysis/enrich_gene_panel.html", takes_context=True)
def gene_interpretation(context, gene):
    request = context.get("request")
    library, libraries, frame = _chosen_library(request, gene)
    figures, down, up = [], [], []
    if frame is not None:
        down = frame.head(TOP_PERTURBAGENS)
        up = frame.tail(TOP_PERTURBAGENS).iloc[::-1]
        both = pd.concat([down, up]).drop_duplicates("signature")
        both = both.assign(
            label=both.signature + " " + both.perturbagen__name.fillna("").astype(str)
        )
        figures.append(
            plots.connections_bar(
                both,
                label="label",
                value="value",
                n=2 * TOP_PERTURBAGENS,
                title=f"{gene.symbol} in {library.name}: strongest changes",
            )
        )
    datasets = list(dataset_list(user=request.user if request else None).order_by("accession"))
    box = _dataset_box(request, gene, datasets)
    if box.get("figure") is not None:
        figures.append(box.pop("figure"))
    return {
        "gene": gene,
        "library": library,
        "libraries": libraries,
        "down": _records(down) if len(down) else [],
        "up": _records(up) if len(up) else [],
        "extreme": _records(_extreme(gene)),
        "datasets": datasets,
        "box": box,
        "figures": bokeh_context(figures),
    }


def _extreme(gene) -> pd.DataFrame:
    try:
        return interpret.gene_extreme_signatures(gene)
    except VALUES_MISSING:
        return pd.DataFrame()


def _dataset_box(request, gene, datasets) -> dict:
    accession = request.GET.get("dataset") if request else None
    dataset = next((d for d in datasets if d.accession == accession), None)
    if dataset is None:
        return {}
    fields = sorted(
        {k for m in dataset.samples.values_list("metadata", flat=True) for k in (m or {})}
    )
    field = request.GET.get("field") or (fields[0] if fields else "")
    found = interpret.gene_in_dataset(gene, dataset, field) if field else None
    out = {"dataset": dataset, "fields": fields, "field": field, "missing": found is None}
    if found is not None:
        values, groups = found
        out["figure"] = plots.gene_boxplot(
            values, groups, gene=f"{gene.symbol} in {dataset.accession}"
        )
    return out


@register.inclusion_tag("analysis/enrich_perturbagen_panel.html", takes_context=True)
def perturbagen_interpretation(context, perturbagen):
    request = context.get("request")
    visible = signature_list(user=request.user if request else None)
    own = list(visible.filter(perturbagen=perturbagen).order_by("library__name", "column")[:500])
    query_acc = request.GET.get("query") if request else None
    query = visible.filter(accession=query_acc).first() if query_acc else None
    query = query or (own[0] if own else None)
    figures, series = [], pd.DataFrame()
    consensus, used = pd.DataFrame(), []
    try:
        if query is not None and len(own) > 1:
            series = interpret.perturbagen_connection_series(perturbagen, query, visible=visible)
            figures += _dose_time_plots(series, query.accession)
        consensus, used = interpret.perturbagen_consensus(perturbagen, visible=visible)
    except (*VALUES_MISSING, RunInputError):
        pass  # the signatures' values are not stored: the section stays empty
    return {
        "perturbagen": perturbagen,
        "own": own,
        "query": query,
        "series": _records(series) if len(series) else [],
        "consensus": _records(consensus) if len(consensus) else [],
        "consensus_from": used,
        "figures": bokeh_context(figures),
    }


def _dose_time_plots(series: pd.DataFrame, query: str) -> list:
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    figures = []
    for axis, label in (("dose", "dose"), ("time", "time")):
        data = series.dropna(subset=[axis, "similarity"])
        if data.empty:
            continue
        fig = figure(
            title=f"Connection to {query} by {label}",
            x_axis_label=f"{label} ({data[axis + '_unit'].iloc[0]})",
            y_axis_label="Pearson r",
            x_axis_type="log" if axis == "dose" and (data[axis] > 0).all() else "linear",
            tools=plots.TOOLS,
            height=320,
        )
        # One multi-line and one scatter glyph whatever the number of cell lines: a glyph per
        # cell line makes Bokeh serialisation take seconds for 60+ lines.
        data = data.sort_values(["cell_line", axis])
        cells = sorted(data.cell_line.unique())
        colours = dict(zip(cells, plots._palette(len(cells)), strict=True))
        groups = [part for _, part in data.groupby("cell_line", sort=True)]
        fig.multi_line(
            [g[axis].tolist() for g in groups],
            [g.similarity.tolist() for g in groups],
            color=[colours[g.cell_line.iloc[0]] for g in groups],
            alpha=0.6,
        )
        source = ColumnDataSource(
            {
                "x": data[axis],
                "y": data.similarity,
                "signature": data.signature,
                "cell": data.cell_line,
                "colour": data.cell_line.map(colours),
            }
        )
        fig.scatter("x", "y", source=source, color="colour", size=7)
        fig.add_tools(
            HoverTool(tooltips=[("", "@signature"), ("cell", "@cell"), ("r", "@y{0.000}")])
        )
        figures.append(fig)
    return figures


@register.inclusion_tag("analysis/enrich_figures.html")
def composition_chart(counts: dict, title: str = "Composition"):
    """A pie of a collection's make-up (e.g. signatures per library)."""
    return {"figures": bokeh_context([plots.composition(counts, kind="pie", title=title)])}
