"""POST /api/v1/connectivity/, the connections endpoint and manage.py connectivity."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from analysis.engine.connectivity import FullSignature, connectivity
from signatures import io
from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(settings):
    """A 30-signature library with catalogue rows and genes G1..G200 (Entrez 1001..1200)."""
    rng = np.random.default_rng(11)
    genes = np.arange(1001, 1201)
    logfc = rng.standard_normal((200, 30))
    p = rng.uniform(1e-6, 1, (200, 30))
    ids = [f"TEST_{j}" for j in range(30)]
    writer = io.LibraryWriter(slug="test-lib", genes=genes, n_signatures=30, has_pvalues=True)
    writer.add_block(signature_ids=ids, logfc=logfc, pvalue=p)
    version = writer.commit()
    lib = SignatureLibrary.objects.create(slug="test-lib", name="Test", version=version)
    drug = Perturbagen.objects.create(accession="BRD-1", name="testinib", kind="compound")
    for j, acc in enumerate(ids):
        Signature.objects.create(
            accession=acc, library=lib, column=j, perturbagen=drug, dose=10, dose_unit="uM"
        )
    Gene.objects.bulk_create(Gene(entrez_id=int(g), symbol=f"G{g - 1000}") for g in genes)
    return genes, logfc, p, ids, version


def post(client, body):
    return client.post("/api/v1/connectivity/", body, content_type="application/json")


def test_a_full_signature_query_returns_ranked_annotated_rows_equal_to_the_reference(
    client, library
):
    genes, logfc, p, ids, version = library
    body = {
        "library": "test-lib",
        "metric": "pearson",
        "top": 5,
        "query": {
            "genes": [f"G{g - 1000}" for g in genes[:150]] + ["NOTAGENE"],
            "logFC": list(logfc[:150, 3]) + [1.0],
            "pvalue": list(p[:150, 3]) + [0.5],
        },
    }
    response = post(client, body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["version"] == version
    assert data["unknown_genes"] == ["NOTAGENE"]
    assert data["rows"][0]["signature"] == "TEST_3"
    assert data["rows"][0]["perturbagen"] == "testinib"
    assert data["rows"][0]["dose"] == "10 uM"
    query = FullSignature(genes=genes[:150], logfc=logfc[:150, 3], pvalue=p[:150, 3])
    ref = connectivity(query, genes, logfc, p, metric="pearson", signature_ids=ids)
    ref = ref.set_index("signature")
    for row in data["rows"]:
        assert row["similarity"] == pytest.approx(
            ref.loc[row["signature"], "similarity"], abs=1e-12
        )
        assert row["nGenes"] == 150


def test_up_down_lists_by_entrez_id_are_accepted(client, library):
    body = {
        "library": "test-lib",
        "metric": "updown",
        "top": 3,
        "query": {"up": ["1001", "1002", "1003"], "down": ["1004", "1005"]},
    }
    response = post(client, body)
    assert response.status_code == 200, response.content
    assert len(response.json()["rows"]) == 3
    assert response.json()["rows"][0]["nGenes"] == 5


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"library": "nope", "metric": "pearson", "query": {"genes": ["G1"], "logFC": [1]}},
            "unknown library",
        ),
        ({"library": "test-lib", "metric": "cosine", "query": {"genes": ["G1"]}}, "cosine"),
        (
            {
                "library": "test-lib",
                "metric": "pearson",
                "query": {"genes": ["X", "Y"], "logFC": [1, 2]},
            },
            "none of the query genes",
        ),
        (
            {
                "library": "test-lib",
                "metric": "pearson",
                "query": {"genes": ["G1", "G2"], "logFC": [1]},
            },
            "one number per gene",
        ),
        (
            {
                "library": "test-lib",
                "metric": "extreme",
                "query": {"genes": ["G1", "G2"], "logFC": [1, 2]},
            },
            "needs p-values",
        ),
        ({"library": "test-lib", "metric": "pearson", "query": {}}, "query needs"),
    ],
)
def test_bad_input_gets_a_400_with_a_readable_message(client, library, body, message):
    response = post(client, body)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_precomputed_connections_are_served(client, library):
    genes, logfc, p, ids, _ = library
    call_command("precompute_connections", "test-lib", "--top", "5", "--block", "7")
    response = client.get("/api/v1/signatures/TEST_4/connections/")
    assert response.status_code == 200
    data = response.json()
    r = pd.DataFrame(logfc).corr().to_numpy()[4].copy()
    r[4] = np.nan
    best = int(np.nanargmax(r))
    assert data["positive"][0]["signature"] == ids[best]
    assert data["positive"][0]["similarity"] == pytest.approx(r[best], abs=1e-5)
    assert data["negative"][0]["signature"] == ids[int(np.nanargmin(r))]


def test_connections_not_yet_computed_are_a_404(client, library):
    assert client.get("/api/v1/signatures/TEST_4/connections/").status_code == 404


def test_the_command_scores_an_ilincs_download_against_tsv_matrices(tmp_path):
    rng = np.random.default_rng(2)
    sig = pd.read_csv(
        ROOT / "fixtures/ilincs_examples/ilincs_signature_LINCSCP_100_full.tsv", sep="\t"
    )
    genes = sig["ID_geneid"].to_numpy()
    logfc = pd.DataFrame(rng.standard_normal((len(genes), 4)), index=genes, columns=list("ABCD"))
    logfc["D"] = sig["Value_LogDiffExp"].to_numpy()
    pv = pd.DataFrame(rng.uniform(0, 1, logfc.shape), index=genes, columns=list("ABCD"))
    logfc.to_csv(tmp_path / "l.tsv", sep="\t")
    pv.to_csv(tmp_path / "p.tsv", sep="\t")
    out = tmp_path / "out.tsv"
    call_command(
        "connectivity",
        "--query",
        str(ROOT / "fixtures/ilincs_examples/ilincs_signature_LINCSCP_100_full.tsv"),
        "--library-logfc",
        str(tmp_path / "l.tsv"),
        "--library-p",
        str(tmp_path / "p.tsv"),
        "--metric",
        "pearson",
        "--out",
        str(out),
    )
    table = pd.read_csv(out, sep="\t")
    assert list(table.columns) == ["signature", "similarity", "pValue", "nGenes", "FDR"]
    assert table.set_index("signature").loc["D", "similarity"] == pytest.approx(1.0)


def test_the_command_exits_2_with_one_line_on_bad_arguments(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "connectivity",
            "--query",
            "q.tsv",
            "--metric",
            "cosine",
            "--out",
            "x",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_DEBUG": "1", "PATH": "/usr/bin"},
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1


def test_requests_outside_the_plain_path_are_checked_by_the_serializer(client, library):
    """Strings for numbers and unknown keys take the serializer's path, with the same answer;
    out-of-range values get its field errors."""
    base = {
        "library": "test-lib",
        "metric": "updown",
        "query": {"up": ["1001", "1002", "1003"], "down": ["1004", "1005"]},
    }
    plain = post(client, {**base, "top": 3})
    coerced = post(client, {**base, "top": "3", "note": "ignored"})
    assert plain.status_code == coerced.status_code == 200
    assert plain.json() == coerced.json()
    too_many = post(client, {**base, "top": 10_001})
    assert too_many.status_code == 400 and "top" in too_many.json()
    small = post(client, {**base, "min_overlap": 2})
    assert small.status_code == 400 and "min_overlap" in small.json()
