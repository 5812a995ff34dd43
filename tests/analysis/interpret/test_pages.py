"""Interpretation pages: signature, pathway, network, gene, perturbagen and group analysis."""

import pytest

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from tests.analysis.interpret import data as interpret_data

pytestmark = pytest.mark.django_db

VORINOSTAT = "vorinostat__SKB__trt_cp"


@pytest.fixture
def demo():
    interpret_data.load_genes()
    interpret_data.load_genesets("hallmark")
    interpret_data.load_skb()


def test_the_signature_page_shows_values_volcano_and_one_click_analyses(client, demo):
    page = client.get(f"/signatures/{VORINOSTAT}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="signature-values"' in html and "Volcano plot" in html
    assert 'value="moa"' in html and 'value="gsea"' in html and 'value="enrichment"' in html
    assert "/static/bokeh/js/bokeh.min.js" in html  # BokehJS from our static files
    assert "Not computed for this library" in html  # no precomputed connections yet


def test_one_click_starts_both_moa_workflows_for_an_anonymous_visitor(
    client, demo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/interpret/launch/", {"kind": "moa", "signature": VORINOSTAT})
    assert response.status_code == 302
    runs = AnalysisRun.objects.order_by("pk")
    # no knock-down library in this catalogue: the genetic workflow is refused with a message,
    # the targets workflow runs
    assert [r.kind for r in runs] == ["moa_targets"]
    assert runs[0].status == RunStatus.SUCCEEDED
    assert response.url == f"/runs/{runs[0].pk}/"
    assert client.get(response.url).status_code == 200  # the visitor sees their own run


def test_the_pathway_page_colours_members_by_the_signature_and_links_out(client, demo):
    page = client.get(
        "/pathways/hallmark/", {"term": "HALLMARK_MTORC1_SIGNALING", "signature": VORINOSTAT}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "gsea-msigdb.org" in html and "HALLMARK_MTORC1_SIGNALING" in html
    assert 'class="up"' in html and 'class="down"' in html
    assert "not measured" in html  # members outside the SKB 5,000 genes


def test_the_network_page_draws_a_graph_of_the_top_genes(client, demo):
    page = client.get(f"/signatures/{VORINOSTAT}/network/", {"n": 30})
    assert page.status_code == 200
    assert b"GraphRenderer" in page.content and b"co-membership" in page.content


def test_the_gene_page_ranks_perturbagens_and_lists_extreme_signatures(client, demo):
    page = client.get("/genes/3065/")  # HDAC1
    assert page.status_code == 200
    html = page.content.decode()
    assert "Decreased most" in html and "Increased most" in html
    assert 'id="extreme-signatures"' in html


def test_the_perturbagen_page_links_to_its_connections_and_consensus_signature(client, demo):
    page = client.get("/perturbagens/BRD-K81418486/")
    assert b"/perturbagens/BRD-K81418486/connections/" in page.content
    page = client.get(
        "/perturbagens/BRD-K81418486/connections/", {"query": "trichostatin-a__SKB__trt_cp"}
    )
    assert page.status_code == 200
    assert b'id="consensus"' in page.content and b"HDAC inhibitor" in page.content


def test_group_analysis_form_starts_a_run_or_explains_the_problem(
    client, demo, django_capture_on_commit_callbacks
):
    picked = "vorinostat__SKB__trt_cp,HC-toxin__SKB__trt_cp"
    form = client.get("/group-analysis/", {"signatures": picked})
    assert b"HC-toxin__SKB__trt_cp" in form.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/group-analysis/", {"signatures": picked + " trichostatin-a__SKB__trt_cp"}
        )
    run = AnalysisRun.objects.get()
    assert response.url == f"/runs/{run.pk}/" and run.status == RunStatus.SUCCEEDED
    bad = client.post("/group-analysis/", {"signatures": "NOPE"})
    assert bad.status_code == 400 and b"between 2 and 200" in bad.content
