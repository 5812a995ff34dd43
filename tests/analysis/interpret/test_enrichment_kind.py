"""Run kinds enrichment and gsea, through POST /api/v1/analyses/ on real data.

Expected answers come from outside the code: the iLINCS paper (use case 1b, Fig. 2D: the genes
of the CGS signatures connected to everolimus give "mTOR signaling pathway" first on Enrichr
KEGG 2016) and biology (mTOR inhibitors switch off mTORC1-responsive genes, MSigDB Hallmark
MTORC1 signalling; the signatureSearch SKB set's HDAC inhibitors down-regulate extracellular
matrix genes in muscle cells is *not* assumed: only structural facts are checked there).
"""

import gzip

import numpy as np
import pandas as pd
import pytest

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from analysis.runs.selectors import run_table
from tests.analysis.interpret import data as interpret_data
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

FIG_2D = (
    FIXTURES
    / "ilincs_reference_outputs"
    / "useCase1b_t05_Enrichr_analysis_of_connected_CGSes_Fig_2D.tsv"
)


def submit(client, kind, params):
    """POST a run; the synchronous queue runs it when the request's transaction commits."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/analyses/", {"kind": kind, "params": params}, content_type="application/json"
        )
    if response.status_code == 201:
        body = response.json()
        body["status"] = AnalysisRun.objects.get(pk=body["id"]).status
        return _Response(response.status_code, body)
    return response


class _Response:
    def __init__(self, status_code, body):
        self.status_code, self._body, self.content = status_code, body, str(body)

    def json(self):
        return self._body


def table(client, run_id, name):
    response = client.get(f"/api/v1/analyses/{run_id}/tables/{name}/?limit=5000")
    assert response.status_code == 200, response.content
    return pd.DataFrame(response.json()["rows"])


@pytest.fixture
def client(client, django_user_model):
    """A registered user (the analyses API takes token or session authentication)."""
    client.force_login(django_user_model.objects.create_user("ann", password="pw-ann-123456"))
    return client


@pytest.fixture
def genesets():
    interpret_data.load_genes()
    interpret_data.load_genesets("hallmark", "kegg-2016")


def test_the_genes_of_cgs_connected_to_everolimus_give_mtor_signalling_first_as_in_ilincs(
    client, genesets
):
    published = pd.read_csv(FIG_2D, sep="\t")
    genes = sorted({g for cell in published.Genes for g in cell.split(";")})
    response = submit(client, "enrichment", {"genes": genes, "genesets": ["kegg-2016"]})
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["status"] == RunStatus.SUCCEEDED, run
    result = table(client, run["id"], "enrichment")
    assert result.term.iloc[0].startswith(published.Term.iloc[0])  # "mTOR signaling pathway"
    assert set(result.genes.iloc[0].split(";")) <= set(genes)


def _torin2_signature() -> pd.Series:
    """torin-2 in A375 (LJP005 level-3 plate): mean robust z of its wells against DMSO wells."""
    path = FIXTURES / "lincs" / "level3_LJP005_A375_24H_n377x978_cmapPy.gct.gz"
    with gzip.open(path, "rt", encoding="latin-1") as handle:
        handle.readline()
        n_rowmeta, n_colmeta = map(int, handle.readline().split("\t")[2:4])
        raw = pd.read_csv(handle, sep="\t", index_col=0, low_memory=False)
    wells = raw.iloc[:n_colmeta, n_rowmeta:].T
    values = raw.iloc[n_colmeta:, n_rowmeta:].astype(float)
    values.index = raw.iloc[n_colmeta:]["pr_gene_symbol"].to_numpy()
    dmso = values.loc[:, wells.pert_iname.eq("DMSO").to_numpy()]
    centre = dmso.median(axis=1)
    spread = 1.4826 * dmso.sub(centre, axis=0).abs().median(axis=1)
    treated = values.loc[:, wells.pert_iname.eq("torin-2").to_numpy()]
    z = treated.sub(centre, axis=0).div(spread, axis=0).mean(axis=1)
    z = z[~z.index.duplicated()]
    return z[np.isfinite(z)]


def test_genes_switched_off_by_torin2_are_enriched_for_hallmark_mtorc1(client, genesets):
    z = _torin2_signature()
    query = {"genes": z.index.tolist(), "logFC": z.round(6).tolist()}
    response = submit(
        client, "enrichment", {"source": {"query": query}, "genesets": ["hallmark"], "n_top": 100}
    )
    assert response.status_code == 201, response.content
    result = table(client, response.json()["id"], "enrichment")
    down = result[result.direction == "down"].reset_index(drop=True)
    assert "HALLMARK_MTORC1_SIGNALING" in down.term.head(4).tolist()
    assert down.set_index("term").loc["HALLMARK_MTORC1_SIGNALING", "fdr"] < 0.01
    known = set(interpret_data.gene_info().symbol.str.upper())
    measured = len({g.upper() for g in z.index} & known)
    assert (down.background_size == measured).all()  # background = the measured genes


def test_preranked_gsea_finds_mtorc1_down_with_torin2_and_keeps_curves_for_the_plot(
    client, genesets
):
    z = _torin2_signature()
    query = {"genes": z.index.tolist(), "logFC": z.round(6).tolist()}
    params = {"source": {"query": query}, "genesets": ["hallmark"], "n_perm": 200}
    response = submit(client, "gsea", params)
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    gsea = table(client, run_id, "gsea").set_index("term")
    assert gsea.loc["HALLMARK_MTORC1_SIGNALING", "nes"] < 0
    assert gsea.loc["HALLMARK_MTORC1_SIGNALING", "p_value"] < 0.05
    run = AnalysisRun.objects.get(pk=run_id)
    curves = run_table(run=run, name="gsea_curves")
    assert curves.groupby("term").size().eq(run.summary["n_genes_ranked"]).all()
    page = client.get(f"/runs/{run_id}/")
    assert b"running ES" in page.content  # the running-sum plot is embedded


def test_an_enrichment_without_source_or_genes_is_refused_with_a_clear_message(client, genesets):
    response = submit(client, "enrichment", {"genesets": ["hallmark"]})
    assert response.status_code == 400
    assert "either 'source'" in str(response.json())
    response = submit(client, "enrichment", {"genes": ["MTOR"], "genesets": ["nope"]})
    assert "unknown gene-set library nope" in str(response.json())
    assert AnalysisRun.objects.count() == 0


def test_gsea_refuses_a_plain_gene_list(client, genesets):
    response = submit(client, "gsea", {"source": {"query": {"genes": ["MTOR", "RPTOR"]}}})
    run = AnalysisRun.objects.get(pk=response.json()["id"])
    assert run.status == RunStatus.FAILED
    assert "not a gene list" in run.error


def test_enrichment_of_a_library_signature_uses_its_measured_genes(client, genesets):
    interpret_data.load_skb()
    params = {"source": {"signature": "vorinostat__SKB__trt_cp"}, "genesets": ["hallmark"]}
    response = submit(client, "enrichment", params)
    result = table(client, response.json()["id"], "enrichment")
    assert set(result.direction) == {"up", "down"}
    assert (result.background_size == 5000).all() and (result.list_size == 100).all()
    assert np.all(np.diff(result.p_value.to_numpy()) >= 0)
