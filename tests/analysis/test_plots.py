"""Every figure serialises for BokehJS and carries the glyphs and data columns the page needs."""

import json

import numpy as np
import pandas as pd
import pytest
from bokeh.embed import components, json_item
from bokeh.models import GlyphRenderer, GraphRenderer, HoverTool
from bokeh.util.paths import bokehjs_path

from analysis import plots
from analysis.engine.enrichment import gsea_preranked, read_gmt
from analysis.engine.explore import pca
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def signature() -> pd.DataFrame:
    table = pd.read_csv(
        FIXTURES / "ilincs_examples" / "ilincs_signature_LINCSCP_100_full.tsv", sep="\t"
    )
    table = table.drop_duplicates("Name_GeneSymbol")
    return pd.DataFrame(
        {
            "gene": table.Name_GeneSymbol.to_numpy(),
            "logFC": table.Value_LogDiffExp.to_numpy(),
            "P.Value": table.Significance_pvalue.to_numpy(),
        }
    )


@pytest.fixture(scope="module")
def hallmark():
    return read_gmt(FIXTURES / "genesets" / "msigdb_h.all.v7.0.symbols.gmt")


def serialised(model) -> dict:
    item = json.loads(json.dumps(json_item(model)))
    assert item["doc"]["roots"]
    return item


def glyphs(model) -> dict[str, set[str]]:
    """Glyph type name -> data columns of its source, over every renderer of the model."""
    found: dict[str, set[str]] = {}
    for renderer in model.select({"type": GlyphRenderer}):
        found.setdefault(type(renderer.glyph).__name__, set()).update(
            renderer.data_source.data.keys()
        )
    return found


def test_bokeh_js_is_served_from_the_package_static_files_not_a_cdn():
    urls = plots.bokeh_js_urls(static_url="/static/")
    assert urls[0].startswith("/static/bokeh/js/bokeh.min.js")
    for url in urls:
        assert "cdn" not in url
        relative = url.split("?")[0].removeprefix("/static/bokeh/")
        assert (bokehjs_path() / relative).is_file()


def test_volcano_colours_by_significance_and_names_genes_on_hover(signature):
    fig = plots.volcano(signature, fdr=None, logfc_threshold=0.5, alpha=0.01)
    serialised(fig)
    assert {"gene", "logfc", "neglog10p", "status"} <= glyphs(fig)["Scatter"]
    source = fig.select_one({"type": GlyphRenderer}).data_source.data
    assert set(source["status"]) <= {"up", "down", "not significant"}
    assert "up" in set(source["status"]) and "down" in set(source["status"])
    hover = fig.select_one({"type": HoverTool})
    assert ("gene", "@gene") in hover.tooltips
    script, div = components(fig)
    assert "<script" in script and "<div" in div


def test_two_signature_scatter_reports_r_over_shared_genes(signature):
    a = signature.set_index("gene").logFC.rename("LINCSCP_100")
    b = (-a.iloc[:500]).rename("mirror")
    fig = plots.signature_scatter(a, b)
    serialised(fig)
    assert "r = -1.000" in fig.title.text and "500 genes" in fig.title.text
    assert {"gene", "x", "y"} <= glyphs(fig)["Scatter"]


def test_clustered_heatmap_has_one_cell_per_gene_and_signature():
    gct = pd.read_csv(
        FIXTURES / "tcga_brca" / "breastTCGA_train_mrna_n150x200.tsv.gz", sep="\t", index_col=0
    )
    matrix = gct.drop(columns="subtype").iloc[:8, :25].T
    matrix = matrix.sub(matrix.mean(axis=1), axis=0)
    fig = plots.heatmap(matrix)
    serialised(fig)
    data = fig.select_one({"type": GlyphRenderer}).data_source.data
    assert len(data["value"]) == 25 * 8
    assert {"row", "column", "value"} <= glyphs(fig)["Rect"]
    assert sorted(fig.x_range.factors) == sorted(matrix.columns)


def test_pca_scatter_colours_points_by_group():
    table = pd.read_csv(
        FIXTURES / "tcga_brca" / "breastTCGA_train_mrna_n150x200.tsv.gz", sep="\t", index_col=0
    )
    coords = pca(table.drop(columns="subtype").T).coords
    fig = plots.embedding_scatter(coords, labels=table.subtype, title="PCA")
    serialised(fig)
    data = fig.select_one({"type": GlyphRenderer}).data_source.data
    assert set(data["label"]) == {"Basal", "Her2", "LumA"}
    assert {"item", "x", "y", "label"} <= glyphs(fig)["Scatter"]


def test_gsea_plot_shows_the_running_sum_and_the_hits(signature, hallmark):
    scores = signature.set_index("gene").logFC
    result = gsea_preranked(scores, hallmark, n_perm=50, min_size=5, seed=1)
    term = result.table.term.iloc[0]
    layout = plots.gsea_plot(result, term)
    serialised(layout)
    found = glyphs(layout)
    assert {"rank", "es"} <= found["Line"]
    assert {"rank", "gene"} <= found["Segment"]
    line = next(r for r in layout.select({"type": GlyphRenderer}) if "es" in r.data_source.data)
    assert len(line.data_source.data["es"]) == len(scores)


def test_connections_bar_ranks_by_absolute_similarity():
    table = pd.DataFrame(
        {"signature": [f"LINCSCP_{i}" for i in range(30)], "similarity": np.linspace(-0.9, 0.6, 30)}
    )
    fig = plots.connections_bar(table, n=5)
    serialised(fig)
    names = fig.select_one({"type": GlyphRenderer}).data_source.data["name"]
    assert names[0] == "LINCSCP_0" and len(names) == 5
    assert {"name", "value", "color"} <= glyphs(fig)["HBar"]


@pytest.mark.parametrize("kind, glyph", [("pie", "Wedge"), ("bar", "VBar")])
def test_collection_composition_as_pie_or_bar(kind, glyph):
    fig = plots.composition({"LINCS": 120, "GEO": 30, "TCGA": 5}, kind=kind)
    serialised(fig)
    assert {"name", "count"} <= glyphs(fig)[glyph]


def test_gene_box_plot_groups_samples_by_a_metadata_field():
    table = pd.read_csv(
        FIXTURES / "tcga_brca" / "breastTCGA_train_mrna_n150x200.tsv.gz", sep="\t", index_col=0
    )
    fig = plots.gene_boxplot(table["ASPM"], table["subtype"], gene="ASPM")
    serialised(fig)
    found = glyphs(fig)
    assert {"group", "q1", "q2", "q3"} <= found["VBar"]
    assert {"sample", "group", "value"} <= found["Scatter"]
    assert list(fig.x_range.factors) == ["Basal", "Her2", "LumA"]


def test_gene_network_links_genes_that_share_a_gene_set(hallmark, signature):
    genes = ["MTOR", "RPTOR", "AKT1", "PIK3CA", "HDAC1", "CDK1"]
    scores = signature.set_index("gene").logFC
    fig = plots.gene_network(genes, hallmark, scores=scores)
    serialised(fig)
    graph = fig.select_one({"type": GraphRenderer})
    edges = graph.edge_renderer.data_source.data
    pairs = set(zip(edges["start"], edges["end"], strict=True))
    assert ("AKT1", "RPTOR") in pairs  # both in HALLMARK_PI3K_AKT_MTOR_SIGNALING
    assert set(graph.node_renderer.data_source.data["index"]) == set(genes)
    assert set(graph.layout_provider.graph_layout) == set(genes)
