"""The gene-level Golub dataset: probes collapsed with the platform's CHIP file, so a signature
built on it carries Entrez ids and can be queried against the libraries (workflow 2 -> 1)."""

import pandas as pd
import pytest

from analysis.choices import RunStatus
from analysis.engine.formats import read_gct
from analysis.runs.selectors import run_table
from analysis.runs.services import analysis_submit
from catalog import services as catalog_services
from catalog.models import Collection
from signatures.demo import _collapsed_to_genes
from tests.analysis.interpret import data as interpret_data
from tests.conftest import FIXTURES

EXPR = FIXTURES / "expression"


@pytest.fixture(scope="module")
def golub_genes():
    leukemia = read_gct(EXPR / "Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz")
    cls = (EXPR / "Leukemia_ALL_vs_AML_n48.cls").read_text().split("\n")[2].split()
    labels = pd.DataFrame({"disease": cls}, index=leukemia.values.columns)
    leukemia = type(leukemia)(leukemia.values, leukemia.row_meta, labels)
    return _collapsed_to_genes(leukemia, EXPR / "Human_AFFY_HG_U95_MSigDB_7_0_final.chip.gz")


def test_probes_collapse_to_one_log_scale_row_per_gene_symbol(golub_genes):
    values = golub_genes.values
    assert values.index.is_unique and 8000 < len(values) < 12564
    assert values.to_numpy().min() >= 4.32 - 1e-9  # log2(20): the floor
    assert {"MPO", "CD33", "LYZ", "CD19"} <= set(values.index)


@pytest.mark.django_db
def test_a_signature_built_on_it_has_entrez_ids_and_the_known_aml_markers(
    golub_genes, django_capture_on_commit_callbacks
):
    interpret_data.load_genes()
    collection = Collection.objects.create(slug="cancer", name="Cancer")
    catalog_services.dataset_import(
        accession="GOLUB_ALL_AML_GENES",
        title="Golub, gene level",
        collection=collection,
        matrix=golub_genes,
        samples=golub_genes.col_meta,
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = analysis_submit(
            user=None,
            kind="build_signature",
            params={
                "dataset": "GOLUB_ALL_AML_GENES",
                "treatment": "disease=AML",
                "baseline": "disease=ALL",
                "method": "limma",
            },
        )
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    table = run_table(run=run, name="signature").set_index("symbol")
    assert table["entrez"].notna().mean() > 0.8  # most genes are in the LINCS gene space
    # myeloid markers up and the B-cell marker down in AML vs ALL (Golub et al. 1999)
    assert table.loc["MPO", "logFC"] > 1 and table.loc["CD33", "logFC"] > 0.5
    assert table.loc["CD19", "logFC"] < -1
