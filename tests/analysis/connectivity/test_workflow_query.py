"""Workflow 1: query with an uploaded signature -> a connectivity run -> ranked connections."""

import numpy as np
import pandas as pd
import pytest

from analysis.choices import RunStatus
from analysis.engine.connectivity import FullSignature, GeneList, connectivity, random_set
from analysis.models import AnalysisRun
from analysis.runs.registry import RunInputError
from analysis.runs.selectors import run_table
from analysis.runs.services import analysis_submit
from signatures import io
from signatures.models import Gene, Perturbagen, Signature, SignatureLibrary
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db(transaction=True)
ILINCS_FULL = FIXTURES / "ilincs_examples" / "ilincs_signature_LINCSCP_100_full.tsv"


def make_query_library(slug: str = "query-lib") -> dict:
    """24 signatures over the 978 genes of the real iLINCS LINCSCP_100 download: column 7 is
    LINCSCP_100 itself; 3 perturbagens of 8 signatures each; genes named as in the file."""
    sig = pd.read_csv(ILINCS_FULL, sep="\t")
    genes = sig["ID_geneid"].to_numpy(dtype=np.int64)
    rng = np.random.default_rng(5)
    logfc = rng.standard_normal((len(genes), 24))
    pvalue = rng.uniform(1e-4, 1, (len(genes), 24))
    logfc[:, 7], pvalue[:, 7] = sig["Value_LogDiffExp"], sig["Significance_pvalue"]
    ids = [f"QSIG_{j:02d}" for j in range(24)]
    writer = io.LibraryWriter(slug=slug, genes=genes, n_signatures=24, has_pvalues=True)
    writer.add_block(signature_ids=ids, logfc=logfc, pvalue=pvalue)
    version = writer.commit()
    library = SignatureLibrary.objects.create(
        slug=slug, name="Query test library", version=version, n_signatures=24, has_pvalues=True
    )
    drugs = [
        Perturbagen.objects.get_or_create(accession=f"BRD-T{i}", name=name, kind="compound")[0]
        for i, name in enumerate(["diclofenac", "placebol", "randomide"])
    ]
    Signature.objects.bulk_create(
        Signature(
            accession=acc,
            library=library,
            column=j,
            perturbagen=drugs[j // 8],
            dose=10,
            dose_unit="uM",
            time=6,
            time_unit="h",
        )
        for j, acc in enumerate(ids)
    )
    Gene.objects.bulk_create(
        [
            Gene(entrez_id=int(e), symbol=s)
            for e, s in zip(genes, sig["Name_GeneSymbol"], strict=True)
        ],
        ignore_conflicts=True,
    )
    return {"genes": genes, "logfc": logfc, "pvalue": pvalue, "ids": ids, "version": version}


@pytest.fixture
def library():
    return make_query_library()


def upload_payload() -> dict:
    from analysis.connectivity.uploads import parse_upload

    return parse_upload(data=ILINCS_FULL.read_bytes(), filename="LINCSCP_100.tsv").payload


def test_a_connectivity_run_ranks_the_query_itself_first_and_matches_the_reference(library):
    params = {"source": {"query": upload_payload()}, "library": "query-lib", "metric": "weighted"}
    run = analysis_submit(user=None, kind="connectivity", params=params)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.library_version == library["version"]
    table = run_table(run=run, name="connections")
    assert table.loc[0, "signature"] == "QSIG_07"
    assert table.loc[0, "perturbagen"] == "diclofenac" and table.loc[0, "dose"] == "10 uM"
    query = FullSignature(library["genes"], library["logfc"][:, 7], library["pvalue"][:, 7])
    ref = connectivity(
        query,
        library["genes"],
        library["logfc"],
        library["pvalue"],
        metric="weighted",
        signature_ids=library["ids"],
    ).set_index("signature")
    got = table.set_index("signature")
    assert np.allclose(got["similarity"], ref.loc[got.index, "similarity"], atol=1e-12)
    assert run.summary["n_recognised"] == 978 and run.summary["unknown_genes"] == []


def test_the_perturbagen_view_aggregates_every_signature_of_each_perturbagen(library):
    params = {"source": {"query": upload_payload()}, "library": "query-lib", "metric": "pearson"}
    run = analysis_submit(user=None, kind="connectivity", params=params)
    run.refresh_from_db()
    table = run_table(run=run, name="perturbagens").set_index("perturbagen")
    assert table["nSignatures"].to_dict() == {"diclofenac": 8, "placebol": 8, "randomide": 8}
    query = FullSignature(library["genes"], library["logfc"][:, 7])
    ref = connectivity(
        query,
        library["genes"],
        library["logfc"],
        None,
        metric="pearson",
        signature_ids=library["ids"],
    )
    scores = ref["similarity"].to_numpy()
    # random-set z of the mean of 8 of 24 scores (sampling without replacement)
    n, k = len(scores), 8
    sd = scores.std() / np.sqrt(k) * np.sqrt((n - k) / (n - 1))
    expected = (scores[:8].mean() - scores.mean()) / sd
    assert table.loc["diclofenac", "zScore"] == pytest.approx(expected, rel=1e-9)


def test_a_gene_list_runs_with_the_random_set_metric(library):
    genes = ["AARS", "ABL1", "NOTAGENE"] + [str(g) for g in library["genes"][10:40]]
    params = {"source": {"query": {"genes": genes}}, "library": "query-lib", "metric": "randomset"}
    run = analysis_submit(user=None, kind="connectivity", params=params)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.summary["unknown_genes"] == ["NOTAGENE"]
    known = np.concatenate([[16, 25], library["genes"][10:40]])
    ref = random_set(
        GeneList(known),
        library["genes"],
        library["logfc"],
        library["pvalue"],
        signature_ids=library["ids"],
    ).set_index("signature")
    got = run_table(run=run, name="connections").set_index("signature")
    assert np.allclose(got["similarity"], ref.loc[got.index, "similarity"], atol=1e-12)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric": "randomset"}, "does not apply to a full signature; choose extreme or"),
        ({"library": "nope"}, "no signature library 'nope'"),
        ({"metric": "cosine"}, "metric must be one of"),
        ({"top": 0}, "top must lie between 1 and 10000"),
        ({"source": {"run": 999}}, "run 999 is not a signature-building run"),
    ],
)
def test_bad_parameters_are_refused_at_submit_with_a_message(library, params, message):
    base = {"source": {"query": upload_payload()}, "library": "query-lib", "metric": "pearson"}
    with pytest.raises(RunInputError, match=message):
        analysis_submit(user=None, kind="connectivity", params={**base, **params})
    assert not AnalysisRun.objects.exists()


def test_the_query_page_recognises_genes_and_submits_a_run(client, library):
    with ILINCS_FULL.open("rb") as f:
        check = client.post("/query/recognise/", {"file": f})
    assert check.json()["n_recognised"] == 978 and check.json()["has_pvalues"] is True
    with ILINCS_FULL.open("rb") as f:
        body = {"file": f, "library": "query-lib", "metric": "pearson", "top": 5, "action": "run"}
        response = client.post("/query/", body)
    assert response.status_code == 302
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "QSIG_07" in text and 'id="run-summary"' in text
    assert "/files/connections.xlsx" in text and "/files/perturbagens.csv" in text
    assert "bk-root" in text or "Bokeh" in text  # the ranked bar chart is embedded


def test_the_check_step_shows_the_count_and_keeps_the_upload_for_the_run(client, library):
    text = "AARS\t1.0\nFOO\t1\n" + "".join(
        f"{g}\t{v}\n" for g, v in zip(library["genes"][10:51], np.linspace(-2, 2, 41), strict=True)
    )
    body = {"text": text, "library": "query-lib", "metric": "pearson", "top": 5, "action": "check"}
    page = client.post("/query/", body)
    assert page.status_code == 200, page.context["form"].errors
    assert "42 of 43 genes recognised" in " ".join(page.content.decode().split())
    run = client.post("/query/", {"library": "query-lib", "metric": "pearson", "top": 5})
    assert run.status_code == 302  # no new input: the checked upload is used


def test_an_unreadable_paste_is_shown_back_with_its_message(client, library):
    body = {"text": "gene\tlogFC\nAARS\tx\n", "library": "query-lib", "metric": "pearson", "top": 5}
    page = client.post("/query/", body)
    assert page.status_code == 400
    assert "line 2: logFC &#x27;x&#x27; is not a number" in page.content.decode()
