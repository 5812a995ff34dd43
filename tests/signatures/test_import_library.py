"""import_library: GCT (probe ids), GCTX, iLINCS TSV, logFC/p matrices; malformed cases."""

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from signatures.io import library_open
from signatures.models import Signature, SignatureLibrary
from tests.conftest import FIXTURES
from tests.factories import catalogue_state

pytestmark = pytest.mark.django_db

LINCS = FIXTURES / "lincs"
ILINCS = FIXTURES / "ilincs_examples"


def run(*args):
    call_command("import_library", *args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_a_gct_with_probe_ids_is_stored_by_entrez_with_its_metadata():
    run(
        "--slug",
        "modz",
        "--name",
        "MODZ",
        "--kind",
        "chemical",
        "--gct",
        str(LINCS / "level5_modz_n272x978_cmapR.gct.gz"),
    )
    library = SignatureLibrary.objects.get(slug="modz")
    matrices = library_open(slug="modz")
    assert (library.n_signatures, library.n_genes) == (272, 978)
    assert library.version == matrices.version
    # 200814_at is PSME1, Entrez 5720; first column value -0.5236 in the file
    first = "CPC006_A549_6H:BRD-U88459701-000-01-8:10"
    row = int(np.flatnonzero(matrices.genes == 5720)[0])
    assert matrices.logfc[row, matrices.signature_ids.index(first)] == pytest.approx(-0.5236)
    signature = Signature.objects.get(accession=first)
    assert signature.perturbagen.name == "atorvastatin"
    assert signature.cell_line.name == "A549"
    assert (signature.dose, signature.dose_unit, signature.time, signature.time_unit) == (
        10.0,
        "µM",
        6.0,
        "h",
    )


def test_an_identical_reimport_is_a_no_op_and_a_changed_one_a_new_version(tmp_path, settings):
    source = tmp_path / "lfc.tsv"
    source.write_text("gene\tS1\tS2\n5720\t1.5\t-2\n387\t0.5\t3\n")
    args = ["--slug", "tiny", "--name", "Tiny", "--kind", "other", "--logfc", str(source)]
    run(*args)
    version = SignatureLibrary.objects.get(slug="tiny").version
    before = catalogue_state(settings.DATA_DIR)
    run(*args)
    assert catalogue_state(settings.DATA_DIR) == before
    source.write_text("gene\tS1\tS3\n5720\t1.5\t-2\n387\t0.5\t4\n")
    run(*args)
    library = SignatureLibrary.objects.get(slug="tiny")
    assert library.version != version
    assert list(library.signatures.values_list("accession", "column")) == [("S1", 0), ("S3", 1)]
    assert library_open(slug="tiny").logfc[1, 1] == 4


def test_logfc_and_pvalue_matrices_are_stored_together(tmp_path):
    (tmp_path / "l.tsv").write_text("gene\tS1\n5720\t1.5\n387\t-0.5\n")
    (tmp_path / "p.tsv").write_text("gene\tS1\n5720\t0.01\n387\t0.5\n")
    run(
        "--slug",
        "pair",
        "--name",
        "Pair",
        "--kind",
        "other",
        "--logfc",
        str(tmp_path / "l.tsv"),
        "--pvalue",
        str(tmp_path / "p.tsv"),
    )
    matrices = library_open(slug="pair")
    assert matrices.pvalue[0, 0] == pytest.approx(0.01)
    assert SignatureLibrary.objects.get(slug="pair").has_pvalues


def test_ilincs_signature_files_become_one_library():
    files = [
        ILINCS / "ilincs_signature_LINCSCP_100_full.tsv",
        ILINCS / "ilincs_signature_LINCSCP_1000_genes_logdiff.tsv",
    ]
    run(
        "--slug",
        "ilincs",
        "--name",
        "iLINCS",
        "--kind",
        "chemical",
        "--ilincs-tsv",
        *map(str, files),
    )
    matrices = library_open(slug="ilincs")
    assert set(matrices.signature_ids) == {"LINCSCP_100", "LINCSCP_1000"}
    # First rows of the files: gene 16 (AARS) 1.047 (p 0.2008...) and -0.339344
    row = int(np.flatnonzero(matrices.genes == 16)[0])
    col = matrices.signature_ids.index("LINCSCP_100")
    assert matrices.logfc[row, col] == pytest.approx(1.047)
    assert matrices.pvalue[row, col] == pytest.approx(0.200843393802643)
    assert matrices.logfc[row, matrices.signature_ids.index("LINCSCP_1000")] == pytest.approx(
        -0.339344
    )


def test_a_gctx_is_read_in_column_blocks_with_the_hdf5_orientation():
    import h5py

    path = FIXTURES / "cmap_validation/contest_query/contest_modzs_ezid_n10x10174.gctx"
    run(
        "--slug",
        "contest",
        "--name",
        "Contest",
        "--kind",
        "chemical",
        "--gctx",
        str(path),
        "--gene-space",
        "bing",
    )
    matrices = library_open(slug="contest")
    with h5py.File(path, "r") as h5:
        expected = h5["0/DATA/0/matrix"][3, 7]  # stored n_cols x n_rows
        gene = int(h5["0/META/ROW/id"][7])
    row = int(np.flatnonzero(matrices.genes == gene)[0])
    assert matrices.logfc.shape == (10174, 10)
    assert matrices.logfc[row, 3] == pytest.approx(expected)


def test_a_metadata_table_fills_signature_fields(tmp_path):
    (tmp_path / "l.tsv").write_text("gene\tS1\n5720\t1.5\n")
    (tmp_path / "m.tsv").write_text(
        "sig_id\tpert_iname\tcell_id\tpert_dose\tpert_dose_unit\tpert_time\tpert_time_unit\n"
        "S1\teverolimus\tMCF7\t0.04\tum\t24\th\n"
    )
    run(
        "--slug",
        "meta",
        "--name",
        "Meta",
        "--kind",
        "chemical",
        "--logfc",
        str(tmp_path / "l.tsv"),
        "--metadata",
        str(tmp_path / "m.tsv"),
    )
    signature = Signature.objects.get(accession="S1")
    assert signature.perturbagen.name == "everolimus"
    assert (signature.cell_line.name, signature.dose, signature.dose_unit) == ("MCF7", 0.04, "µM")
    assert (signature.time, signature.time_unit) == (24.0, "h")


MALFORMED = {
    "empty.tsv": ("", "the file is empty"),
    "dup.tsv": ("gene\tS1\n5720\t1\n5720\t2\n", "duplicated gene ids: 5720"),
    "text.tsv": ("gene\tS1\n5720\tup\n", "non-numeric value 'up'"),
    "symbols.tsv": ("gene\tS1\nTP53\t1\n", "must be Entrez ids"),
    "commas_in_tsv.tsv": ("gene S1\n5720 1\n", "single column"),
}


@pytest.mark.parametrize("filename", sorted(MALFORMED))
def test_a_malformed_matrix_fails_with_one_line_and_leaves_db_and_store_unchanged(
    tmp_path, settings, filename
):
    text, message = MALFORMED[filename]
    (tmp_path / filename).write_text(text)
    before = catalogue_state(settings.DATA_DIR)
    with pytest.raises(CommandError) as error:
        run(
            "--slug", "bad", "--name", "Bad", "--kind", "other", "--logfc", str(tmp_path / filename)
        )
    assert message in str(error.value) and "\n" not in str(error.value)
    assert catalogue_state(settings.DATA_DIR) == before


def test_an_ilincs_file_missing_its_value_column_is_refused(tmp_path):
    (tmp_path / "s.tsv").write_text("ID_geneid\tName_GeneSymbol\n16\tAARS\n")
    with pytest.raises(CommandError, match="missing column\\(s\\) Value_LogDiffExp"):
        run(
            "--slug",
            "bad",
            "--name",
            "Bad",
            "--kind",
            "other",
            "--ilincs-tsv",
            str(tmp_path / "s.tsv"),
        )


def test_a_gct_with_a_wrong_dimensions_line_is_refused(tmp_path):
    (tmp_path / "x.gct").write_text("#1.3\n2\t1\t0\nid\tS1\n5720\t1\n387\t2\n")
    with pytest.raises(CommandError, match="dimensions line must hold 4"):
        run("--slug", "bad", "--name", "Bad", "--kind", "other", "--gct", str(tmp_path / "x.gct"))


def test_a_failure_after_writing_leaves_the_previous_version_serving(tmp_path, settings):
    good = tmp_path / "l.tsv"
    good.write_text("gene\tS1\n5720\t1.5\n")
    args = ["--slug", "keep", "--name", "Keep", "--kind", "other", "--logfc", str(good)]
    run(*args)
    version = library_open(slug="keep").version
    (tmp_path / "m.tsv").write_text("sig_id\tcell_id\nNOPE\tMCF7\n")
    before = catalogue_state(settings.DATA_DIR)
    good.write_text("gene\tS1\n5720\t2.5\n")
    with pytest.raises(CommandError, match="not in the library: NOPE"):
        run(*args, "--metadata", str(tmp_path / "m.tsv"))
    good.write_text("gene\tS1\n5720\t1.5\n")
    assert catalogue_state(settings.DATA_DIR) == before
    assert library_open(slug="keep").version == version


def test_reimporting_restores_a_library_whose_store_files_were_lost(tmp_path, settings):
    """The catalogue row alone does not make an import "unchanged": the matrices must exist."""
    import shutil
    from io import StringIO as io_text

    from signatures import io

    source = tmp_path / "lfc.tsv"
    source.write_text("gene\tS1\tS2\n5720\t1.5\t-2\n387\t0.5\t3\n")
    args = ["--slug", "tiny", "--name", "Tiny", "--kind", "other", "--logfc", str(source)]
    run(*args)
    version = SignatureLibrary.objects.get(slug="tiny").version
    shutil.rmtree(io.library_root(slug="tiny"))  # e.g. a wiped data directory
    io.library_open.cache_clear()
    out = io_text()
    call_command("import_library", *args, stdout=out)
    assert "unchanged" not in out.getvalue()
    assert SignatureLibrary.objects.get(slug="tiny").version == version  # same content
    assert library_open(slug="tiny").logfc[0, 0] == 1.5


def test_reimporting_rewrites_a_store_of_an_older_format(tmp_path, settings):
    """After an upgrade of the store format, the same import writes the new format instead of
    calling the old store "unchanged" (which the new code refuses to read)."""
    import json
    from io import StringIO as io_text

    from signatures import io

    source = tmp_path / "lfc.tsv"
    source.write_text("gene\tS1\tS2\n5720\t1.5\t-2\n387\t0.5\t3\n")
    args = ["--slug", "old", "--name", "Old", "--kind", "other", "--logfc", str(source)]
    run(*args)
    # as the previous release wrote it: its own version hash (the format is part of it)
    path = library_open(slug="old").path.rename(io.library_root(slug="old") / "0123456789abcdef")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format"], manifest["version"] = io.FORMAT_VERSION - 1, path.name
    (path / "manifest.json").write_text(json.dumps(manifest))
    (path.parent / "current").write_text(path.name)
    SignatureLibrary.objects.filter(slug="old").update(version=path.name)
    io.library_open.cache_clear()
    with pytest.raises(io.LibraryCorrupt, match="re-import it"):
        library_open(slug="old")
    out = io_text()
    call_command("import_library", *args, stdout=out)
    assert "unchanged" not in out.getvalue()
    io.library_open.cache_clear()
    assert library_open(slug="old").logfc[0, 0] == 1.5
