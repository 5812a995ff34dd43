"""import_genes, import_perturbagens, import_genesets on real files and malformed ones."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from signatures.models import Gene, GeneSet, GeneSetLibrary, Perturbagen
from tests.conftest import FIXTURES
from tests.factories import catalogue_state

pytestmark = pytest.mark.django_db
QUIET = {"stdout": open("/dev/null", "w")}  # noqa: SIM115


@pytest.fixture
def small_gene_info(tmp_path):
    # The first lines of GSE92742 gene_info plus MTOR (2475), as the real file spells them
    path = tmp_path / "gene_info.txt"
    path.write_text(
        "pr_gene_id\tpr_gene_symbol\tpr_gene_title\tpr_is_lm\tpr_is_bing\n"
        "780\tDDR1\tdiscoidin domain receptor tyrosine kinase 1\t1\t1\n"
        "7849\tPAX8\tpaired box 8\t1\t1\n"
        "2475\tMTOR\tmechanistic target of rapamycin\t0\t1\n"
    )
    return path


def test_genes_get_lincs_flags_and_org_hs_eg_db_annotations(small_gene_info):
    call_command(
        "import_genes",
        str(small_gene_info),
        "--annotation",
        str(FIXTURES / "genes/human_gene_ids_org.Hs.eg.db.tsv.gz"),
        **QUIET,
    )
    mtor = Gene.objects.get(entrez_id=2475)
    assert (mtor.symbol, mtor.is_landmark, mtor.is_inferred) == ("MTOR", False, True)
    assert mtor.name == "mechanistic target of rapamycin kinase"
    assert "FRAP1" in mtor.synonyms and mtor.ensembl_ids == ["ENSG00000198793"]
    assert mtor.cytoband == "1p36.22"
    assert Gene.objects.get(entrez_id=780).is_landmark


def test_the_full_lincs_gene_space_has_978_landmarks_and_is_idempotent(settings):
    path = str(FIXTURES / "lincs/GSE92742_Broad_LINCS_gene_info.txt.gz")
    call_command("import_genes", path, **QUIET)
    assert Gene.objects.count() == 12328
    assert Gene.objects.filter(is_landmark=True).count() == 978
    assert Gene.objects.filter(is_inferred=True).count() == 10174
    before = catalogue_state(settings.DATA_DIR)
    call_command("import_genes", path, **QUIET)
    assert catalogue_state(settings.DATA_DIR) == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("pr_gene_id\tpr_gene_symbol\n780\tDDR1\n", "missing column(s) pr_is_lm, pr_is_bing"),
        (
            "pr_gene_id\tpr_gene_symbol\tpr_is_lm\tpr_is_bing\n780\tA\t1\t1\n780\tB\t1\t1\n",
            "duplicated gene ids: 780",
        ),
        ("pr_gene_id\tpr_gene_symbol\tpr_is_lm\tpr_is_bing\nDDR1\tA\t1\t1\n", "must be Entrez ids"),
        ("", "the file is empty"),
    ],
)
def test_a_malformed_gene_file_is_refused_without_changes(tmp_path, settings, text, message):
    (tmp_path / "g.txt").write_text(text)
    before = catalogue_state(settings.DATA_DIR)
    with pytest.raises(CommandError) as error:
        call_command("import_genes", str(tmp_path / "g.txt"), **QUIET)
    assert message in str(error.value)
    assert catalogue_state(settings.DATA_DIR) == before


def test_perturbagens_get_moa_and_targets_joined_on_the_brd_prefix(tmp_path, small_gene_info):
    call_command("import_genes", str(small_gene_info), **QUIET)
    pertinfo = tmp_path / "pertinfo.tsv"
    # Rows as in lincscloud_pertinfo (palbociclib, the MTOR consensus knock-down)
    pertinfo.write_text(
        "pert_id\tpert_iname\tpert_type\tpubchem_cid\tinchi_key\n"
        "BRD-K51313569\tpalbociclib\ttrt_cp\t5330286\tInChIKey=AHJRHEGDXFFMBM-UHFFFAOYSA-N\n"
        "CGS001-2475\tMTOR\ttrt_sh.cgs\t\t\n"
    )
    annotations = FIXTURES / "drug_annotations/repurposing_hub_export_drugs.txt.gz"
    call_command("import_perturbagens", str(pertinfo), "--annotations", str(annotations), **QUIET)
    palbociclib = Perturbagen.objects.get(accession="BRD-K51313569")
    # Repurposing Hub: palbociclib -> CDK inhibitor, targets CDK4, CDK6 (MANIFEST)
    assert palbociclib.targets == ["CDK4", "CDK6"]
    assert palbociclib.moa == ["CDK inhibitor"]
    assert palbociclib.inchi_key == "AHJRHEGDXFFMBM-UHFFFAOYSA-N"
    cgs = Perturbagen.objects.get(accession="CGS001-2475")
    assert (cgs.kind, cgs.target_gene.symbol) == ("cgs", "MTOR")


def test_duplicated_pert_ids_are_refused(tmp_path):
    (tmp_path / "p.tsv").write_text(
        "pert_id\tpert_iname\tpert_type\nBRD-1\ta\ttrt_cp\nBRD-1\tb\ttrt_cp\n"
    )
    with pytest.raises(CommandError, match="duplicated pert_id: BRD-1"):
        call_command("import_perturbagens", str(tmp_path / "p.tsv"), **QUIET)
    assert not Perturbagen.objects.exists()


def test_a_gmt_library_is_imported_once():
    path = str(FIXTURES / "genesets/msigdb_h.all.v7.0.symbols.gmt")
    call_command("import_genesets", path, "--slug", "hallmark", "--name", "Hallmark", **QUIET)
    call_command("import_genesets", path, "--slug", "hallmark", "--name", "Hallmark", **QUIET)
    assert GeneSetLibrary.objects.get(slug="hallmark").n_sets == 50
    mtorc1 = GeneSet.objects.get(name="HALLMARK_MTORC1_SIGNALING")
    assert mtorc1.size == len(mtorc1.genes) == 200


@pytest.mark.parametrize(
    "text, message",
    [
        ("SET_A\tdesc\n", "needs a name, a description and at least one gene"),
        ("SET_A\tdesc\tTP53\nSET_A\tdesc\tEGFR\n", "duplicated gene-set name 'SET_A'"),
        ("", "the file is empty"),
    ],
)
def test_a_malformed_gmt_is_refused(tmp_path, text, message):
    (tmp_path / "x.gmt").write_text(text)
    with pytest.raises(CommandError) as error:
        call_command("import_genesets", str(tmp_path / "x.gmt"), "--slug", "x", "--name", "X")
    assert message in str(error.value)
    assert not GeneSetLibrary.objects.exists()
