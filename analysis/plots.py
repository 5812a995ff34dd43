"""Interactive Bokeh figures built from engine results (DataFrames in, Bokeh models out).

No ORM here: views pass engine tables and embed the returned models with
``bokeh.embed.components`` (or ``json_item`` for the API). BokehJS is served from the bokeh
package's own static files, never from a CDN: settings.py maps
``bokeh.util.paths.bokehjs_path()`` under the ``bokeh/`` static prefix (``STATICFILES_DIRS``),
and ``bokeh_js_urls()`` lists the script URLs that a template must load.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations
from math import pi

import bokeh
import numpy as np
import pandas as pd
from bokeh.layouts import column
from bokeh.models import (
    BasicTicker,
    ColorBar,
    ColumnDataSource,
    GraphRenderer,
    HoverTool,
    LinearColorMapper,
    Scatter,
    Span,
    StaticLayoutProvider,
)
from bokeh.palettes import Category10, Category20, RdBu11
from bokeh.plotting import figure
from bokeh.transform import factor_cmap, jitter

from analysis.engine.enrichment import GseaResult
from analysis.engine.explore import clustered

TOOLS = "pan,wheel_zoom,box_zoom,box_select,tap,reset,save"
UP, DOWN, NS = "#c0392b", "#2471a3", "#b3b6b7"
DIVERGING = list(reversed(RdBu11))  # blue (low) -> red (high)
BOKEH_BUNDLES = ("bokeh", "bokeh-gl", "bokeh-widgets", "bokeh-tables")


def bokeh_js_urls(static_url: str = "/static/", prefix: str = "bokeh") -> list[str]:
    """URLs of the BokehJS bundles in the project's static files, versioned for caching."""
    base = f"{static_url.rstrip('/')}/{prefix.strip('/')}/js"
    return [f"{base}/{name}.min.js?v={bokeh.__version__}" for name in BOKEH_BUNDLES]


def _palette(n: int) -> list[str]:
    base = Category10[10] if n <= 10 else Category20[20]
    return [base[i % len(base)] for i in range(n)]


def volcano(
    table: pd.DataFrame,
    *,
    gene: str = "gene",
    logfc: str = "logFC",
    p: str = "P.Value",
    fdr: str | None = "adj.P.Val",
    logfc_threshold: float = 1.0,
    alpha: float = 0.05,
    title: str = "Volcano plot",
):
    """logFC against −log10 p; red up / blue down when |logFC| ≥ threshold and FDR (or p) < alpha."""
    frame = table.dropna(subset=[logfc, p])
    pvals = frame[p].to_numpy(dtype=float)
    signif = frame[fdr] if fdr and fdr in frame else frame[p]
    lfc = frame[logfc].to_numpy(dtype=float)
    hit = (signif.to_numpy(dtype=float) < alpha) & (np.abs(lfc) >= logfc_threshold)
    status = np.where(hit & (lfc > 0), "up", np.where(hit & (lfc < 0), "down", "not significant"))
    source = ColumnDataSource(
        {
            "gene": frame[gene].astype(str).to_numpy()
            if gene in frame
            else frame.index.astype(str),
            "logfc": lfc,
            "neglog10p": -np.log10(np.fmax(pvals, np.finfo(float).tiny)),
            "p": pvals,
            "status": status,
        }
    )
    fig = figure(title=title, tools=TOOLS, x_axis_label="log fold change", y_axis_label="−log10 p")
    fig.scatter(
        "logfc",
        "neglog10p",
        source=source,
        size=6,
        alpha=0.7,
        legend_field="status",
        color=factor_cmap("status", [UP, DOWN, NS], ["up", "down", "not significant"]),
    )
    fig.add_tools(
        HoverTool(tooltips=[("gene", "@gene"), ("logFC", "@logfc{0.000}"), ("p", "@p{0.00e0}")])
    )
    for x in (-logfc_threshold, logfc_threshold):
        fig.add_layout(Span(location=x, dimension="height", line_dash="dashed", line_color="grey"))
    fig.legend.location = "top_left"
    return fig


def signature_scatter(a: pd.Series, b: pd.Series, *, title: str | None = None):
    """Two signatures' values over their shared genes, with Pearson r in the title."""
    shared = pd.concat([a.rename("x"), b.rename("y")], axis=1, join="inner").dropna()
    r = float(np.corrcoef(shared.x, shared.y)[0, 1]) if len(shared) > 2 else float("nan")
    names = (a.name or "signature A", b.name or "signature B")
    source = ColumnDataSource({"gene": shared.index.astype(str), "x": shared.x, "y": shared.y})
    fig = figure(
        title=title or f"{names[0]} vs {names[1]} (r = {r:.3f}, {len(shared)} genes)",
        tools=TOOLS,
        x_axis_label=str(names[0]),
        y_axis_label=str(names[1]),
    )
    fig.scatter("x", "y", source=source, size=5, alpha=0.6)
    fig.add_tools(HoverTool(tooltips=[("gene", "@gene"), ("x", "@x{0.000}"), ("y", "@y{0.000}")]))
    return fig


def heatmap(
    matrix: pd.DataFrame,
    *,
    cluster: bool = True,
    title: str = "Heatmap",
    limit: float | None = None,
):
    """Genes × items heatmap (rows and columns in dendrogram order when ``cluster``)."""
    data = clustered(matrix) if cluster else matrix.astype(float)
    rows = data.index.astype(str).tolist()
    cols = data.columns.astype(str).tolist()
    long = data.set_axis(rows, axis=0).set_axis(cols, axis=1).stack(future_stack=True).reset_index()
    long.columns = ["row", "column", "value"]
    bound = limit or float(np.nanmax(np.abs(long.value))) or 1.0
    mapper = LinearColorMapper(palette=DIVERGING, low=-bound, high=bound, nan_color="white")
    fig = figure(
        title=title,
        x_range=cols,
        y_range=list(reversed(rows)),
        tools="hover,save,reset,box_zoom",
        tooltips=[("gene", "@row"), ("signature", "@column"), ("value", "@value{0.000}")],
        height=max(300, 12 * len(rows) + 120),
        width=max(400, 18 * len(cols) + 200),
    )
    fig.rect(
        "column",
        "row",
        1,
        1,
        source=ColumnDataSource({c: long[c].to_numpy() for c in long.columns}),
        fill_color={"field": "value", "transform": mapper},
        line_color=None,
    )
    fig.add_layout(ColorBar(color_mapper=mapper, ticker=BasicTicker()), "right")
    fig.xaxis.major_label_orientation = pi / 3
    fig.grid.visible = False
    return fig


def embedding_scatter(coords: pd.DataFrame, *, labels: pd.Series | None = None, title: str = "PCA"):
    """Scatter of the first two embedding columns (PCA or t-SNE), coloured by ``labels``."""
    x, y = coords.columns[:2]
    label = labels.reindex(coords.index).fillna("NA").astype(str) if labels is not None else None
    data = {"item": coords.index.astype(str), "x": coords[x], "y": coords[y]}
    data["label"] = label.to_numpy() if label is not None else np.full(len(coords), "all")
    factors = sorted(set(data["label"]))
    fig = figure(title=title, tools=TOOLS, x_axis_label=str(x), y_axis_label=str(y))
    fig.scatter(
        "x",
        "y",
        source=ColumnDataSource(data),
        size=9,
        alpha=0.8,
        legend_field="label",
        color=factor_cmap("label", _palette(len(factors)), factors),
    )
    fig.add_tools(HoverTool(tooltips=[("", "@item"), ("group", "@label")]))
    return fig


def gsea_plot(result: GseaResult, term: str):
    """GSEA running enrichment score, the set's hits and the ranked metric (three stacked panels)."""
    running = result.running_sums[term]
    hits = result.hits[term]
    ranks = np.arange(len(running))
    row = result.table.set_index("term").loc[term]
    top = figure(
        title=f"{term}: ES {row.es:.3f}, NES {row.nes:.2f}, p {row.p_value:.3g}, FDR {row.fdr:.3g}",
        height=260,
        width=650,
        tools="xpan,xwheel_zoom,reset,save",
        y_axis_label="running ES",
    )
    top.line(
        "rank",
        "es",
        source=ColumnDataSource({"rank": ranks, "es": running}),
        line_width=2,
        color="#1e8449",
    )
    top.add_layout(Span(location=0, dimension="width", line_color="grey"))
    genes = result.ranking.index.to_numpy()
    ticks = figure(height=70, width=650, x_range=top.x_range, tools="", y_range=(0, 1))
    tick_source = ColumnDataSource(
        {"rank": hits, "gene": genes[hits], "y0": np.zeros(len(hits)), "y1": np.ones(len(hits))}
    )
    ticks.segment("rank", "y0", "rank", "y1", source=tick_source, color="black")
    ticks.add_tools(HoverTool(tooltips=[("gene", "@gene"), ("rank", "@rank")]))
    ticks.yaxis.visible = False
    metric = figure(
        height=160, width=650, x_range=top.x_range, tools="", x_axis_label="rank in ordered list"
    )
    metric.varea(
        "rank",
        "zero",
        "score",
        source=ColumnDataSource(
            {"rank": ranks, "score": result.ranking.to_numpy(), "zero": np.zeros(len(ranks))}
        ),
        color="grey",
    )
    return column(top, ticks, metric)


def connections_bar(
    table: pd.DataFrame,
    *,
    label: str = "signature",
    value: str = "similarity",
    n: int = 20,
    title: str = "Top connections",
):
    """Horizontal bars of the ``n`` strongest connections (by |value|), signed colours."""
    frame = table.dropna(subset=[value])
    frame = frame.loc[frame[value].abs().sort_values(ascending=False, kind="stable").index[:n]]
    frame = frame.sort_values(value)
    names = frame[label].astype(str).tolist()
    data = {col: frame[col].to_numpy() for col in frame.columns}
    data.update({"name": names, "value": frame[value].to_numpy(dtype=float)})
    data["color"] = np.where(data["value"] >= 0, UP, DOWN)
    fig = figure(
        y_range=names,
        title=title,
        tools="hover,save,reset",
        tooltips=[("", "@name"), (value, "@value{0.000}")],
        height=max(250, 22 * len(names) + 80),
        x_axis_label=value,
    )
    fig.hbar(y="name", right="value", height=0.8, color="color", source=ColumnDataSource(data))
    return fig


def composition(
    counts: pd.Series | Mapping[str, int], *, kind: str = "pie", title: str = "Composition"
):
    """A collection's make-up (e.g. signatures per library or per perturbagen type)."""
    counts = pd.Series(counts, dtype=float)
    counts = counts[counts > 0]
    names = counts.index.astype(str).tolist()
    data = {"name": names, "count": counts.to_numpy(), "color": _palette(len(names))}
    if kind == "bar":
        fig = figure(
            x_range=names,
            title=title,
            tools="hover,save",
            tooltips=[("", "@name"), ("n", "@count")],
        )
        fig.vbar(x="name", top="count", width=0.8, color="color", source=ColumnDataSource(data))
        fig.xaxis.major_label_orientation = pi / 4
        return fig
    if kind != "pie":
        raise ValueError(f"unknown composition chart {kind!r}")
    angle = 2 * pi * counts.to_numpy() / counts.sum()
    data["end"] = np.cumsum(angle)
    data["start"] = data["end"] - angle
    fig = figure(
        title=title,
        tools="hover,save",
        tooltips=[("", "@name"), ("n", "@count")],
        x_range=(-1.1, 1.6),
    )
    fig.wedge(
        x=0,
        y=0,
        radius=1,
        start_angle="start",
        end_angle="end",
        color="color",
        legend_field="name",
        source=ColumnDataSource(data),
    )
    fig.axis.visible = False
    fig.grid.visible = False
    return fig


def gene_boxplot(values: pd.Series, groups: pd.Series, *, gene: str = ""):
    """Box (quartiles, 1.5 IQR whiskers) and jittered strip of one gene's values by sample group."""
    frame = pd.DataFrame({"value": values, "group": groups.reindex(values.index)}).dropna()
    frame["group"] = frame.group.astype(str)
    order = sorted(frame.group.unique())
    q = frame.groupby("group").value.quantile([0.25, 0.5, 0.75]).unstack().reindex(order)
    iqr = q[0.75] - q[0.25]
    lo = frame.groupby("group").value.min().reindex(order).combine(q[0.25] - 1.5 * iqr, max)
    hi = frame.groupby("group").value.max().reindex(order).combine(q[0.75] + 1.5 * iqr, min)
    boxes = ColumnDataSource(
        {"group": order, "q1": q[0.25], "q2": q[0.5], "q3": q[0.75], "lo": lo, "hi": hi}
    )
    fig = figure(x_range=order, title=f"{gene} by group".strip(), tools=TOOLS, y_axis_label="value")
    fig.vbar("group", 0.6, "q2", "q3", source=boxes, fill_color="#d6eaf8", line_color="black")
    fig.vbar("group", 0.6, "q1", "q2", source=boxes, fill_color="#d6eaf8", line_color="black")
    fig.segment("group", "lo", "group", "hi", source=boxes, line_color="black")
    strip = ColumnDataSource(
        {"sample": frame.index.astype(str), "group": frame.group, "value": frame.value}
    )
    fig.scatter(
        jitter("group", width=0.4, range=fig.x_range),
        "value",
        source=strip,
        size=6,
        alpha=0.7,
        color="#7d3c98",
    )
    fig.add_tools(HoverTool(tooltips=[("sample", "@sample"), ("value", "@value{0.000}")]))
    return fig


def gene_network(
    genes: list[str],
    gene_sets: Mapping[str, tuple[str, ...]],
    *,
    scores: pd.Series | None = None,
    min_shared: int = 1,
    max_set_size: int = 300,
    title: str = "Gene network (gene-set co-membership)",
):
    """Genes linked when they share at least ``min_shared`` sets of at most ``max_set_size`` genes.

    Edge weight = number of shared sets; nodes coloured by ``scores`` (e.g. logFC), laid out on
    a circle ordered by score. Large sets are skipped: they would link everything to everything.
    """
    chosen = list(dict.fromkeys(genes))
    present = set(chosen)
    weights: dict[tuple[str, str], int] = {}
    for members in gene_sets.values():
        if len(members) > max_set_size:
            continue
        inside = sorted(present.intersection(members))
        for pair in combinations(inside, 2):
            weights[pair] = weights.get(pair, 0) + 1
    edges = [(a, b, w) for (a, b), w in weights.items() if w >= min_shared]
    score = (scores.reindex(chosen) if scores is not None else pd.Series(0.0, index=chosen)).fillna(
        0.0
    )
    order = score.sort_values(kind="stable").index.tolist()
    angle = 2 * pi * np.arange(len(order)) / max(len(order), 1)
    layout = {g: (float(np.cos(t)), float(np.sin(t))) for g, t in zip(order, angle, strict=True)}
    bound = float(score.abs().max()) or 1.0
    mapper = LinearColorMapper(palette=DIVERGING, low=-bound, high=bound)
    graph = GraphRenderer()
    graph.node_renderer.data_source.data = {
        "index": order,
        "score": score.reindex(order).to_numpy(),
        "degree": [sum(g in e[:2] for e in edges) for g in order],
    }
    graph.node_renderer.glyph = Scatter(size=14, fill_color={"field": "score", "transform": mapper})
    graph.edge_renderer.data_source.data = {
        "start": [e[0] for e in edges],
        "end": [e[1] for e in edges],
        "weight": [e[2] for e in edges],
        "width": [0.5 + np.log2(e[2]) for e in edges],
    }
    graph.edge_renderer.glyph.line_width = {"field": "width"}
    graph.edge_renderer.glyph.line_alpha = 0.4
    graph.layout_provider = StaticLayoutProvider(graph_layout=layout)
    fig = figure(
        title=title, x_range=(-1.3, 1.3), y_range=(-1.3, 1.3), tools="pan,wheel_zoom,tap,reset,save"
    )
    fig.renderers.append(graph)
    labels = ColumnDataSource(
        {
            "gene": order,
            "x": [1.12 * layout[g][0] for g in order],
            "y": [1.12 * layout[g][1] for g in order],
        }
    )
    fig.text(
        "x",
        "y",
        text="gene",
        source=labels,
        text_font_size="8pt",
        text_align="center",
        text_baseline="middle",
    )
    fig.add_tools(
        HoverTool(
            renderers=[graph.node_renderer],
            tooltips=[("gene", "@index"), ("score", "@score{0.000}"), ("links", "@degree")],
        )
    )
    fig.axis.visible = False
    fig.grid.visible = False
    return fig
