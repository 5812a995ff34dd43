"""The server-rendered libraries, signatures, perturbagens, genes and gene sets."""

import pytest

from tests.factories import (
    CellLineFactory,
    GeneFactory,
    GeneSetFactory,
    GeneSetLibraryFactory,
    PerturbagenFactory,
    SignatureFactory,
    SignatureLibraryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mtor():
    return GeneFactory(
        entrez_id=2475, symbol="MTOR", name="mechanistic target of rapamycin kinase",
        synonyms=["FRAP", "FRAP1", "RAFT1"], is_landmark=True, is_lincs=True,
    )  # fmt: skip


@pytest.fixture
def everolimus():
    return PerturbagenFactory(
        accession="BRD-K13514097",
        name="everolimus",
        moa=["MTOR inhibitor"],
        targets=["MTOR"],
        pubchem_cid="6442177",
        inchi_key="HKVAMNSJSFKALM-GKUWKFKPSA-N",
        chembl_id="CHEMBL1908360",
        drugbank_id="DB01590",
    )


@pytest.fixture
def signature(everolimus):
    library = SignatureLibraryFactory(slug="lincscp", name="iLINCS LINCSCP examples")
    return SignatureFactory(
        accession="LINCSCP_100",
        library=library,
        perturbagen=everolimus,
        cell_line=CellLineFactory(name="MCF7"),
        dose=1,
        dose_unit="um",
        time=24,
        time_unit="h",
        metadata={"pert_iname": "everolimus", "det_plate": "CPC004"},
    )


def test_the_library_list_and_page_show_the_library_and_its_signatures(client, signature):
    assert "iLINCS LINCSCP examples" in client.get("/libraries/").content.decode()
    html = client.get("/libraries/lincscp/").content.decode()
    assert 'href="/signatures/LINCSCP_100/"' in html
    assert "everolimus" in html


def test_the_signature_list_is_searchable_by_cell_line_and_free_text(client, signature):
    SignatureFactory(accession="OTHER_1", cell_line=CellLineFactory(name="A375"))
    html = client.get("/signatures/?cell_line=MCF7").content.decode()
    assert "LINCSCP_100" in html and "OTHER_1" not in html
    html = client.get("/signatures/?q=everolimus").content.decode()
    assert "LINCSCP_100" in html and "OTHER_1" not in html
    assert client.get("/signatures/?cellline=MCF7").status_code == 400


def test_the_signature_page_shows_its_metadata(client, signature):
    html = client.get("/signatures/LINCSCP_100/").content.decode()
    for text in ("everolimus", "MCF7", "1 um", "24 h", "CPC004", "iLINCS LINCSCP examples"):
        assert text in html


def test_a_signature_of_a_private_library_is_a_404(client, signature):
    signature.library.is_public = False
    signature.library.save()
    assert client.get("/signatures/LINCSCP_100/").status_code == 404
    assert client.get("/libraries/lincscp/").status_code == 404
    assert "LINCSCP_100" not in client.get("/signatures/").content.decode()


def test_the_perturbagen_page_shows_ids_targets_links_and_signatures(client, signature, mtor):
    html = client.get("/perturbagens/BRD-K13514097/").content.decode()
    assert "HKVAMNSJSFKALM-GKUWKFKPSA-N" in html
    assert "MTOR inhibitor" in html
    assert "https://pubchem.ncbi.nlm.nih.gov/compound/6442177" in html
    assert "CHEMBL1908360" in html and "DB01590" in html
    assert 'href="/signatures/LINCSCP_100/"' in html


def test_the_perturbagen_list_filters_by_mechanism(client, everolimus):
    PerturbagenFactory(name="vorinostat", moa=["HDAC inhibitor"])
    html = client.get("/perturbagens/?moa=MTOR").content.decode()
    assert "everolimus" in html and "vorinostat" not in html


def test_the_gene_page_shows_symbol_entrez_synonyms_flags_and_targeting_compounds(
    client, mtor, everolimus
):
    html = client.get("/genes/2475/").content.decode()
    assert "MTOR" in html and "FRAP1" in html
    assert "L1000 landmark" in html
    assert "https://www.ncbi.nlm.nih.gov/gene/2475" in html
    assert 'href="/perturbagens/BRD-K13514097/"' in html


def test_the_gene_list_finds_a_gene_by_synonym(client, mtor):
    GeneFactory(entrez_id=7157, symbol="TP53")
    html = client.get("/genes/?q=RAFT1").content.decode()
    assert 'href="/genes/2475/"' in html and "TP53" not in html


def test_gene_set_pages_list_sets_and_filter_by_gene(client):
    hallmark = GeneSetLibraryFactory(slug="msigdb-hallmark", name="MSigDB Hallmark")
    GeneSetFactory(library=hallmark, name="HALLMARK_P53_PATHWAY", genes=["TP53", "MDM2"])
    GeneSetFactory(library=hallmark, name="HALLMARK_MTORC1_SIGNALING", genes=["MTOR"])
    assert "MSigDB Hallmark" in client.get("/genesets/").content.decode()
    html = client.get("/genesets/msigdb-hallmark/?gene=TP53").content.decode()
    assert "HALLMARK_P53_PATHWAY" in html and "HALLMARK_MTORC1_SIGNALING" not in html


def test_the_signature_list_page_costs_the_same_queries_for_many_rows(
    client, signature, django_assert_max_num_queries
):
    SignatureFactory.create_batch(30, library=signature.library)
    with django_assert_max_num_queries(3):
        response = client.get("/signatures/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/signatures/LINCSCP_100/", "/perturbagens/BRD-K13514097/", "/libraries/lincscp/"]
)
def test_detail_pages_cost_a_fixed_number_of_queries(
    client, signature, url, django_assert_max_num_queries
):
    SignatureFactory.create_batch(20, library=signature.library, perturbagen=signature.perturbagen)
    with django_assert_max_num_queries(4):
        assert client.get(url).status_code == 200
