"""Run kinds moa_targets and moa_genetic.

Expected answers from outside the code: the signatureSearch SKB set was built with five HDAC
inhibitors among 100 compounds, so the compounds connected to vorinostat must be enriched for
the HDAC-inhibitor MoA class and HDAC targets (annotations: signatureSearch's LINCS compound
table); the knocked-down genes of the CGS signatures that iLINCS connects to everolimus (use
case 1b, Fig. 2D) give "mTOR signaling pathway" first on Enrichr KEGG 2016.
"""

import numpy as np
import pandas as pd
import pytest
from django.test import TestCase

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from analysis.runs.selectors import run_table
from signatures import io
from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary
from tests.analysis.interpret import data as interpret_data
from tests.analysis.interpret.test_enrichment_kind import FIG_2D

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ann", password="pw-ann-123456")


def run_kind(client, user, kind, params) -> AnalysisRun:
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/analyses/", {"kind": kind, "params": params}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    return AnalysisRun.objects.get(pk=response.json()["id"])


@pytest.fixture
def skb():
    interpret_data.load_genes()
    interpret_data.load_skb()


def test_compounds_connected_to_vorinostat_are_enriched_for_hdac_inhibitors(client, user, skb):
    params = {"source": {"signature": "vorinostat__SKB__trt_cp"}, "n_connected": 10}
    run = run_kind(client, user, "moa_targets", params)
    assert run.status == RunStatus.SUCCEEDED, run.error
    terms = run_table(run=run, name="terms")
    moa = terms[terms.kind == "moa"].reset_index(drop=True)
    assert moa.term.iloc[0] == "HDAC inhibitor"
    assert moa.fdr.iloc[0] < 0.01
    targets = terms[terms.kind == "target"].reset_index(drop=True)
    assert targets.term.iloc[0].startswith("HDAC")
    connected = run_table(run=run, name="connected")
    assert "vorinostat__SKB__trt_cp" not in set(connected.signature)  # the query itself
    assert {"trichostatin-a", "HC-toxin", "pyroxamide"} <= set(connected.perturbagen)
    assert run.summary["n_background_compounds"] == 99  # every other compound of the library


def test_moa_targets_refuses_an_unknown_library_before_running(client, user, skb):
    client.force_login(user)
    response = client.post(
        "/api/v1/analyses/",
        {
            "kind": "moa_targets",
            "params": {"source": {"signature": "vorinostat__SKB__trt_cp"}, "library": "nope"},
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "no signature library 'nope'" in str(response.json())


@pytest.fixture
def knockdowns():
    """A knock-down library: the knocked-down genes of iLINCS Fig. 2D connect to the query
    (their signatures are the query plus noise), 16 unrelated knock-downs are noise."""
    interpret_data.load_genes()
    interpret_data.load_genesets("kegg-2016")
    published = pd.read_csv(FIG_2D, sep="\t")
    mimic = sorted({g for cell in published.Genes for g in cell.split(";")})
    other = ["TOMM70A", "TSPAN3", "CASK", "PFKL", "ECD", "MSRA", "LIPA", "GNAS"]
    other += ["TXNRD1", "STAP2", "APPBP2", "TSC22D3", "SOX2", "KRT8", "HMGCS1", "CDK4"]
    genes = np.asarray(
        Gene.objects.filter(is_landmark=True)
        .order_by("entrez_id")
        .values_list("entrez_id", flat=True)
    )
    rng = np.random.default_rng(3)
    query = rng.standard_normal(len(genes))
    values = np.column_stack(
        [query + rng.standard_normal(len(genes)) for _ in mimic]
        + [rng.standard_normal(len(genes)) for _ in other]
    )
    ids = [f"KD:{g}" for g in mimic + other]
    writer = io.LibraryWriter(slug="kd", genes=genes, n_signatures=len(ids), has_pvalues=False)
    writer.add_block(signature_ids=ids, logfc=values)
    library = SignatureLibrary.objects.create(
        slug="kd", name="Knock-downs", kind="knockdown", version=writer.commit()
    )
    by_symbol = {g.symbol: g for g in Gene.objects.filter(symbol__in=mimic + other)}
    for j, symbol in enumerate(s for s in mimic + other if s not in by_symbol):
        # genes outside the LINCS gene table (e.g. RICTOR): a local id is enough for a label
        by_symbol[symbol] = Gene.objects.create(entrez_id=90_000_000 + j, symbol=symbol)
    for j, symbol in enumerate(mimic + other):
        pert = Perturbagen.objects.create(
            accession=f"CGS:{symbol}", name=symbol, kind="cgs", target_gene=by_symbol[symbol]
        )
        Signature.objects.create(accession=ids[j], library=library, column=j, perturbagen=pert)
    return genes, query, mimic


def test_knock_downs_connected_to_a_signature_point_to_the_mtor_pathway(client, user, knockdowns):
    genes, query, mimic = knockdowns
    source = {"query": {"genes": [str(g) for g in genes], "logFC": query.tolist()}}
    params = {
        "source": source,
        "library": "kd",
        "n_connected": len(mimic),
        "genesets": ["kegg-2016"],
    }
    run = run_kind(client, user, "moa_genetic", params)
    assert run.status == RunStatus.SUCCEEDED, run.error
    connected = run_table(run=run, name="connected")
    assert set(connected.knocked_down_gene) == set(mimic)
    pathways = run_table(run=run, name="pathways")
    assert pathways.term.iloc[0].startswith("mTOR signaling pathway")
    page = client.get(f"/runs/{run.pk}/")
    assert b"Pathways of the knocked-down genes" in page.content


def test_moa_genetic_without_a_knock_down_library_says_so(client, user, skb):
    client.force_login(user)
    response = client.post(
        "/api/v1/analyses/",
        {"kind": "moa_genetic", "params": {"source": {"signature": "vorinostat__SKB__trt_cp"}}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "no knock-down library is installed" in str(response.json())
