"""import_dataset: real fixture files, every malformed-file case, idempotency."""

import gzip

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from catalog.models import Dataset, Sample
from catalog.storage import dataset_matrix
from tests.conftest import FIXTURES
from tests.factories import CollectionFactory, catalogue_state

pytestmark = pytest.mark.django_db

EXPR = FIXTURES / "expression"
LEUKEMIA = EXPR / "Leukemia_hgu95av2_ALL_vs_AML_n48.gct.gz"
RAT = EXPR / "liver_toxicity_rat_APAP_genes_x_samples_n3116x64.tsv.gz"
RAT_SAMPLES = EXPR / "liver_toxicity_rat_APAP_sample_annotation_n64.tsv"


@pytest.fixture
def geo():
    return CollectionFactory(slug="geo", name="GEO")


def run(*args):
    out = []

    class Sink:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("import_dataset", *args, stdout=Sink())
    return "".join(out)


def import_args(matrix, accession="TEST1", samples=None):
    args = ["--accession", accession, "--title", "t", "--collection", "geo", "--matrix", matrix]
    return args + (["--samples", str(samples)] if samples else [])


def test_it_imports_a_gct_12_file_with_its_values_and_samples(geo):
    out = run(*import_args(str(LEUKEMIA), "GOLUB"), "--organism", "human")
    dataset = Dataset.objects.get(accession="GOLUB")
    assert "created dataset GOLUB (12564 features × 48 samples)" in out
    assert (dataset.n_features, dataset.n_samples, dataset.organism.taxon_id) == (12564, 48, 9606)
    values = dataset_matrix(dataset)
    # First data row of the file: AFFX-MurIL2_at, ALL_1 = -161.8, ALL_2 = -231.0
    assert values.loc["AFFX-MurIL2_at", "ALL_1"] == -161.8
    assert values.loc["AFFX-MurIL2_at", "ALL_2"] == -231.0
    assert list(dataset.samples.values_list("name", flat=True)[:2]) == ["ALL_1", "ALL_2"]


def test_it_imports_a_tsv_matrix_with_a_sample_table_as_metadata(geo):
    run(*import_args(str(RAT), "RAT", RAT_SAMPLES))
    sample = Sample.objects.get(dataset__accession="RAT", name="ID202")
    # From the annotation file's first row: 50 MG/KG6 HR, dose 50.0, time 6
    assert sample.metadata["Treatment.Group"] == "50 MG/KG6 HR"
    assert sample.metadata["Dose.Group"] == "50.0"
    assert sample.position == 0
    assert Sample.objects.filter(dataset__accession="RAT").count() == 64


def test_it_reads_gct_13_column_metadata_into_samples(geo):
    p100 = FIXTURES / "lincs/p100_MCF7_3H_n96x96_cmapPy.gct.gz"
    run(*import_args(str(p100), "P100"))
    first = Sample.objects.get(dataset__accession="P100", position=0)
    assert first.metadata["pert_iname"] == "DMSO"
    assert first.metadata["cell_id"] == "MCF7"


def test_it_reads_a_geo_series_matrix_with_characteristics(geo, tmp_path):
    path = tmp_path / "GSE1_series_matrix.txt"
    path.write_text(
        '!Series_title\t"A test series"\n'
        '!Sample_title\t"mock 1"\t"virus 1"\n'
        '!Sample_geo_accession\t"GSM1"\t"GSM2"\n'
        '!Sample_characteristics_ch1\t"infection: mock"\t"infection: SARS-CoV-2"\n'
        "!series_matrix_table_begin\n"
        '"ID_REF"\t"GSM1"\t"GSM2"\n'
        '"1007_s_at"\t7.5\t8.25\n'
        '"1053_at"\t5\t4.5\n'
        "!series_matrix_table_end\n"
    )
    run(*import_args(str(path), "GSE1"))
    samples = {s.name: s.metadata for s in Sample.objects.filter(dataset__accession="GSE1")}
    assert samples["GSM2"]["infection"] == "SARS-CoV-2"
    assert samples["GSM1"]["title"] == "mock 1"
    assert dataset_matrix(Dataset.objects.get(accession="GSE1")).loc["1053_at", "GSM2"] == 4.5


def test_a_second_identical_import_changes_nothing(geo, settings):
    run(*import_args(str(RAT), "RAT", RAT_SAMPLES))
    before = catalogue_state(settings.DATA_DIR)
    updated = Dataset.objects.get(accession="RAT").updated
    out = run(*import_args(str(RAT), "RAT", RAT_SAMPLES))
    assert out.strip() == "unchanged dataset RAT"
    assert catalogue_state(settings.DATA_DIR) == before
    assert Dataset.objects.get(accession="RAT").updated == updated


def test_reimporting_restores_a_dataset_whose_matrix_file_was_lost(geo, settings):
    """The catalogue row alone does not make an import "unchanged": the matrix must exist."""
    import shutil
    from pathlib import Path

    from catalog.storage import dataset_matrix

    run(*import_args(str(RAT), "RAT", RAT_SAMPLES))
    dataset = Dataset.objects.get(accession="RAT")
    shutil.rmtree(Path(settings.DATA_DIR) / "datasets")  # e.g. a wiped data directory
    out = run(*import_args(str(RAT), "RAT", RAT_SAMPLES))
    assert "unchanged" not in out
    assert dataset_matrix(Dataset.objects.get(accession="RAT")).shape == (3116, 64)
    assert Dataset.objects.get(accession="RAT").checksum == dataset.checksum


def test_changed_content_replaces_the_matrix_and_samples(geo, tmp_path):
    small = tmp_path / "m.tsv"
    small.write_text("gene\tA\tB\nTP53\t1\t2\n")
    run(*import_args(str(small), "X1"))
    small.write_text("gene\tA\tC\nTP53\t1\t3\nEGFR\t0\t0\n")
    out = run(*import_args(str(small), "X1"))
    dataset = Dataset.objects.get(accession="X1")
    assert "updated dataset X1" in out
    assert list(dataset.samples.values_list("name", flat=True)) == ["A", "C"]
    assert dataset_matrix(dataset).loc["TP53", "C"] == 3


def _gz(path, text):
    path.write_bytes(gzip.compress(text.encode()))
    return path


MALFORMED = {
    "empty.tsv": ("", "the file is empty"),
    "semicolons.tsv": ("gene;A;B\nTP53;1;2\n", "single column"),
    "dup_genes.tsv": ("gene\tA\tB\nTP53\t1\t2\nTP53\t3\t4\n", "duplicated gene ids: TP53"),
    "dup_samples.csv": ("gene,A,A\nTP53,1,2\n", "duplicated sample ids: A"),
    "text.tsv": ("gene\tA\tB\nTP53\t1\tabc\n", "non-numeric value 'abc'"),
    "header_only.tsv": ("gene\tA\tB\n", "no data rows"),
    "short_row.tsv": ("gene\tA\tB\nTP53\t1\n", "has 2 fields, the header has 3"),
    "bad_dims.gct": ("#1.2\n2\n", "dimensions line"),
    "wrong_dims.gct": (
        "#1.2\n3\t2\nNAME\tDescription\tA\tB\nG1\tna\t1\t2\nG2\tna\t3\t4\n",
        "found 2 data rows, the dimensions line announces 3",
    ),
    "wrong_cols.gct": (
        "#1.2\n2\t3\nNAME\tDescription\tA\tB\nG1\tna\t1\t2\nG2\tna\t3\t4\n",
        "the header has 4 fields",
    ),
    "not_gct.gct": ("#2.0\n1\t1\n", "not a GCT file"),
}


@pytest.mark.parametrize("filename", sorted(MALFORMED))
def test_a_malformed_matrix_fails_with_one_line_and_changes_nothing(
    geo, settings, tmp_path, filename
):
    text, message = MALFORMED[filename]
    path = tmp_path / filename
    path.write_text(text)
    before = catalogue_state(settings.DATA_DIR)
    with pytest.raises(CommandError) as error:
        run(*import_args(str(path)))
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert catalogue_state(settings.DATA_DIR) == before


def test_a_sample_table_naming_unknown_samples_fails_and_changes_nothing(geo, settings, tmp_path):
    matrix = tmp_path / "m.tsv"
    matrix.write_text("gene\tA\tB\nTP53\t1\t2\n")
    samples = tmp_path / "s.tsv"
    samples.write_text("sample\tgroup\nA\tx\nZ\ty\n")
    before = catalogue_state(settings.DATA_DIR)
    with pytest.raises(CommandError, match="not in the matrix: Z"):
        run(*import_args(str(matrix), "T2", samples))
    assert catalogue_state(settings.DATA_DIR) == before


def test_a_sample_table_without_metadata_columns_is_refused(geo, tmp_path):
    matrix = tmp_path / "m.tsv"
    matrix.write_text("gene\tA\tB\nTP53\t1\t2\n")
    samples = tmp_path / "s.tsv"
    samples.write_text("sample\nA\nB\n")
    with pytest.raises(CommandError, match="single column"):
        run(*import_args(str(matrix), "T3", samples))


def test_an_unknown_collection_is_refused_with_the_known_ones(geo, tmp_path):
    matrix = tmp_path / "m.tsv"
    matrix.write_text("gene\tA\nTP53\t1\n")
    with pytest.raises(CommandError, match="unknown collection 'nope' \\(known: geo\\)"):
        call_command(
            "import_dataset",
            "--accession",
            "A",
            "--title",
            "t",
            "--collection",
            "nope",
            "--matrix",
            str(matrix),
        )


def test_the_command_line_exits_non_zero_with_one_line_on_stderr(geo, tmp_path, capsys):
    path = _gz(tmp_path / "bad.tsv.gz", "gene\tA\nTP53\tx\n")
    with pytest.raises(SystemExit) as exit_:
        execute_from_command_line(["manage.py", "import_dataset", *import_args(str(path))])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "non-numeric value 'x'" in err
