"""Workflow 2: build a signature from a dataset's samples chosen by metadata (checked against R)."""

import numpy as np
import pandas as pd
import pytest

from analysis.choices import RunStatus
from analysis.engine.formats import Matrix, read_matrix_table
from analysis.runs.registry import RunInputError
from analysis.runs.selectors import run_table
from analysis.runs.services import analysis_submit
from catalog import services as catalog_services
from catalog.choices import DataType, Scale
from catalog.importers import read_sample_table
from signatures.models import Gene
from tests.conftest import FIXTURES
from tests.oracle import read_oracle_table, run_oracle

pytestmark = pytest.mark.django_db(transaction=True)
TCGA_MRNA = FIXTURES / "tcga_brca" / "breastTCGA_train_mrna_n150x200.tsv.gz"


def tcga_mrna_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(TCGA_MRNA, sep="\t")
    raw = raw.set_index(raw.columns[0])
    raw.index = raw.index.astype(str).str.strip()
    labels = raw[["subtype"]].rename(columns={"subtype": "pam50_subtype"})
    return raw.drop(columns="subtype").T.astype(float), labels


def make_tcga_dataset() -> None:
    values, labels = tcga_mrna_frames()
    values.index.name = "feature"
    matrix = Matrix(values, pd.DataFrame(index=values.index), labels)
    catalog_services.dataset_import(
        accession="TCGA_MRNA_TEST",
        title="TCGA BRCA mRNA panel",
        collection=catalog_services.collection_ensure(slug="tcga", name="TCGA"),
        matrix=matrix,
        samples=labels,
        data_type=DataType.RNASEQ_LOG,
        scale=Scale.LOG,
    )


def make_ace2_dataset() -> None:
    """The 12 A549-ACE2 samples of GSE147507 (raw counts; 6 SARS-CoV-2, 6 mock)."""
    counts = read_matrix_table(FIXTURES / "rnaseq/GSE147507_raw_counts_human_subset_n40.tsv.gz")
    annotation = read_sample_table(FIXTURES / "rnaseq/GSE147507_sample_annotation_n40.tsv")
    ace2 = [s for s in counts.values.columns if "A549-ACE2" in s]
    catalog_services.dataset_import(
        accession="ACE2_TEST",
        title="A549-ACE2 SARS-CoV-2 vs mock",
        collection=catalog_services.collection_ensure(slug="grein", name="GREIN"),
        matrix=Matrix(counts.values[ace2], counts.row_meta, counts.col_meta.loc[ace2]),
        samples=annotation.loc[ace2],
        data_type=DataType.RNASEQ_COUNTS,
        scale=Scale.COUNTS,
    )


@pytest.fixture(scope="module")
def r_limma_trend(tmp_path_factory):
    """limma-trend Basal vs LumA on the TCGA mRNA panel, by limma_ref.R (once per module)."""
    import shutil

    rscript = shutil.which("Rscript")
    if rscript is None:
        from tests.conftest import require_tool

        require_tool("Rscript is not installed")
    folder = tmp_path_factory.mktemp("r-build")
    values, labels = tcga_mrna_frames()
    values.rename_axis("gene").to_csv(folder / "expr.tsv", sep="\t", float_format="%.17g")
    labels["pam50_subtype"].rename("group").rename_axis("sample").to_frame().to_csv(
        folder / "groups.tsv", sep="\t"
    )
    args = ["--expr", folder / "expr.tsv", "--groups", folder / "groups.tsv"]
    args += ["--treatment", "Basal", "--baseline", "LumA", "--out", folder / "out.tsv", "--trend"]
    run_oracle(rscript, "limma_ref.R", *args)
    return read_oracle_table(folder / "out.tsv")


def test_a_limma_trend_signature_equals_r_and_maps_symbols_to_entrez(r_limma_trend):
    make_tcga_dataset()
    Gene.objects.create(entrez_id=6253, symbol="RTN2")
    params = {
        "dataset": "TCGA_MRNA_TEST",
        "treatment": "pam50_subtype=Basal",
        "baseline": "pam50_subtype=LumA",
        "method": "limma-trend",
    }
    run = analysis_submit(user=None, kind="build_signature", params=params)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.summary["group_sizes"] == {"treatment": 45, "baseline": 75}
    table = run_table(run=run, name="signature").set_index("gene")
    assert list(table.columns[:2]) == ["entrez", "symbol"]
    ref = r_limma_trend.loc[table.index]
    assert np.allclose(table["logFC"], ref["logFC"], rtol=1e-9)
    assert np.allclose(table["t"], ref["t"], rtol=1e-9)
    assert np.allclose(np.log10(table["P.Value"]), np.log10(ref["P.Value"]), atol=1e-9)
    assert table.loc["RTN2", "entrez"] == 6253 and table.loc["RTN2", "symbol"] == "RTN2"
    top = run_table(run=run, name="top_genes")
    assert top["gene"].tolist()[:5] == ref.sort_values("P.Value").index.tolist()[:5]
    heat = run_table(run=run, name="top_genes_values")
    assert heat.shape == (50, 2 + 120)


def test_an_edger_signature_of_counts_runs_and_feeds_a_connectivity_query():
    make_ace2_dataset()
    params = {
        "dataset": "ACE2_TEST",
        "treatment": "condition=SARS-CoV-2",
        "baseline": "condition=Mock",
        "method": "edger-ql",
        "filter_by_expr": True,
    }
    Gene.objects.create(entrez_id=3434, symbol="IFIT1")  # an interferon gene induced by infection
    run = analysis_submit(user=None, kind="build_signature", params=params)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.summary["group_sizes"] == {"treatment": 6, "baseline": 6}
    table = run_table(run=run, name="signature")
    assert list(table.columns) == [
        "gene",
        "entrez",
        "symbol",
        "logFC",
        "logCPM",
        "F",
        "PValue",
        "FDR",
    ]
    from analysis.runs.sources import signature_table

    source = signature_table({"run": run.pk})
    assert source.set_index("symbol").loc["IFIT1", "logFC"] > 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"baseline": "condition=SARS-CoV-2"}, "6 sample\\(s\\) match both treatment and baseline"),
        ({"treatment": "condition=Flu"}, "no sample satisfies 'condition=Flu'"),
        ({"treatment": "virus=SARS"}, "unknown metadata field 'virus'"),
        ({"method": "limma"}, "limma expects log-scale values, and ACE2_TEST holds raw counts"),
        ({"method": "voom"}, "method must be one of"),
        ({"dataset": "NOPE"}, "no dataset 'NOPE'"),
        ({"treatment": " "}, "treatment must be a metadata predicate"),
    ],
)
def test_bad_choices_are_refused_at_submit_with_a_message(params, message):
    make_ace2_dataset()
    base = {
        "dataset": "ACE2_TEST",
        "treatment": "condition=SARS-CoV-2",
        "baseline": "condition=Mock",
        "method": "edger-ql",
    }
    with pytest.raises(RunInputError, match=message):
        analysis_submit(user=None, kind="build_signature", params={**base, **params})


def test_a_counts_method_on_log_data_is_refused():
    make_tcga_dataset()
    params = {
        "dataset": "TCGA_MRNA_TEST",
        "treatment": "pam50_subtype=Basal",
        "baseline": "pam50_subtype=LumA",
        "method": "edger-exact",
    }
    with pytest.raises(RunInputError, match="edger-exact models raw read counts"):
        analysis_submit(user=None, kind="build_signature", params=params)


def test_the_group_endpoint_counts_samples_and_overlap(client):
    make_ace2_dataset()
    url = "/datasets/ACE2_TEST/build/groups/"
    body = client.get(url, {"treatment": "condition=SARS-CoV-2", "baseline": "condition=Mock"})
    assert body.json() == {"treatment": {"count": 6}, "baseline": {"count": 6}, "overlap": 0}
    body = client.get(url, {"treatment": "cell_type=A549-ACE2", "baseline": "replicate=1"}).json()
    # replicate 1 of mock and of infected cells, in series 6 and 16
    assert body["treatment"]["count"] == 12 and body["overlap"] == 4
    assert (
        "unknown metadata field"
        in client.get(url, {"treatment": "x=1"}).json()["treatment"]["error"]
    )


def test_the_build_page_builds_predicates_from_selects_and_lands_on_the_run(client):
    make_ace2_dataset()
    page = client.get("/datasets/ACE2_TEST/build/")
    assert page.status_code == 200
    form = page.context["form"]
    index = [f.key for f in form.metadata_fields].index("condition")
    response = client.post(
        "/datasets/ACE2_TEST/build/",
        {f"treatment_{index}": "SARS-CoV-2", f"baseline_{index}": "Mock", "method": "edger-ql"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run_page = client.get(response["Location"]).content.decode()
    assert "condition=SARS-CoV-2" in run_page
    assert 'id="connectivity-with-signature"' in run_page
    assert "/files/signature.gct" in run_page and "/files/top_genes.xlsx" in run_page


def test_the_build_page_shows_an_overlap_error_without_submitting(client):
    make_ace2_dataset()
    body = {"treatment": "condition=Mock", "baseline": "condition=Mock", "method": "edger-ql"}
    page = client.post("/datasets/ACE2_TEST/build/", body)
    assert page.status_code == 400
    assert "match both treatment and baseline" in page.content.decode()
