"""The read-only API of libraries, signatures, perturbagens, genes and gene sets."""

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    CellLineFactory,
    GeneFactory,
    GeneSetFactory,
    GeneSetLibraryFactory,
    PerturbagenFactory,
    SignatureFactory,
    SignatureLibraryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def lincscp():
    """Three signatures as the iLINCS LINCSCP examples describe them."""
    library = SignatureLibraryFactory(slug="lincscp", name="iLINCS LINCSCP examples")
    vorinostat = PerturbagenFactory(accession="BRD-K81418486", name="vorinostat")
    everolimus = PerturbagenFactory(accession="BRD-K13514097", name="everolimus")
    a375, mcf7 = CellLineFactory(name="A375"), CellLineFactory(name="MCF7")
    SignatureFactory(
        accession="LINCSCP_100",
        library=library,
        perturbagen=vorinostat,
        cell_line=a375,
        dose=10,
        dose_unit="um",
        time=24,
        time_unit="h",
    )
    SignatureFactory(
        accession="LINCSCP_101",
        library=library,
        perturbagen=everolimus,
        cell_line=mcf7,
        dose=1,
        dose_unit="um",
        time=6,
        time_unit="h",
    )
    SignatureFactory(
        accession="LINCSCP_102",
        library=library,
        perturbagen=vorinostat,
        cell_line=mcf7,
        dose=10,
        dose_unit="um",
        time=6,
        time_unit="h",
    )
    return library


def accessions(response) -> list[str]:
    return sorted(s["accession"] for s in response.json()["results"])


def test_a_signature_is_found_by_its_accession_with_public_ids_of_related_rows(api, lincscp):
    body = api.get("/api/v1/signatures/LINCSCP_100/").json()
    assert body["library"] == "lincscp"
    assert body["perturbagen"] == "BRD-K81418486"
    assert body["perturbagen_name"] == "vorinostat"
    assert body["cell_line"] == "A375"
    assert (body["dose"], body["dose_unit"], body["time"], body["time_unit"]) == (
        10,
        "um",
        24,
        "h",
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("perturbagen=vorinostat", ["LINCSCP_100", "LINCSCP_102"]),
        ("perturbagen=BRD-K13514097", ["LINCSCP_101"]),
        ("cell_line=mcf7", ["LINCSCP_101", "LINCSCP_102"]),
        ("dose=10&time=6", ["LINCSCP_102"]),
        ("time_unit=h&dose_max=5", ["LINCSCP_101"]),
        ("library=lincscp&q=vorinostat A375", ["LINCSCP_100"]),
        ("q=everolimus", ["LINCSCP_101"]),
    ],
)
def test_signatures_are_searchable(api, lincscp, query, expected):
    response = api.get(f"/api/v1/signatures/?{query}")
    assert response.status_code == 200, response.json()
    assert accessions(response) == expected


def test_the_signature_list_costs_two_queries_whatever_its_length(
    api, lincscp, django_assert_num_queries
):
    SignatureFactory.create_batch(30, library=lincscp)
    with django_assert_num_queries(2):
        response = api.get("/api/v1/signatures/?page_size=100")
    assert response.json()["count"] == 33


def test_an_unknown_signature_filter_is_a_400(api, lincscp):
    response = api.get("/api/v1/signatures/?cellline=A375")
    assert response.status_code == 400
    assert "cellline" in response.json()


def test_signatures_of_a_private_library_are_hidden_except_from_staff(api, lincscp):
    lincscp.is_public = False
    lincscp.save()
    assert api.get("/api/v1/signatures/").json()["count"] == 0
    assert api.get("/api/v1/signatures/LINCSCP_100/").status_code == 404
    assert api.get("/api/v1/libraries/lincscp/").status_code == 404
    api.force_authenticate(UserFactory(username="someone"))
    assert api.get("/api/v1/libraries/").json()["count"] == 0
    api.force_authenticate(UserFactory(username="curator", is_staff=True))
    assert api.get("/api/v1/signatures/").json()["count"] == 3
    assert api.get("/api/v1/libraries/lincscp/").status_code == 200


def test_a_perturbagen_counts_its_visible_signatures(api, lincscp, django_assert_num_queries):
    PerturbagenFactory.create_batch(10)
    with django_assert_num_queries(2):
        response = api.get("/api/v1/perturbagens/?q=vorinostat")
    assert [p["n_signatures"] for p in response.json()["results"]] == [2]
    body = api.get("/api/v1/perturbagens/BRD-K81418486/").json()
    assert body["name"] == "vorinostat"


def test_perturbagens_filter_on_mechanism_and_target(api):
    PerturbagenFactory(name="vorinostat", moa=["HDAC inhibitor"], targets=["HDAC1", "HDAC2"])
    PerturbagenFactory(name="everolimus", moa=["MTOR inhibitor"], targets=["MTOR"])
    response = api.get("/api/v1/perturbagens/?moa=hdac")
    assert [p["name"] for p in response.json()["results"]] == ["vorinostat"]
    response = api.get("/api/v1/perturbagens/?target=MTOR")
    assert [p["name"] for p in response.json()["results"]] == ["everolimus"]


def test_genes_are_found_by_entrez_id_and_filter_on_landmark_flags(api, django_assert_num_queries):
    GeneFactory(entrez_id=2475, symbol="MTOR", synonyms=["FRAP", "FRAP1"], is_landmark=True)
    GeneFactory(entrez_id=7157, symbol="TP53", is_inferred=True)
    GeneFactory.create_batch(5)
    assert api.get("/api/v1/genes/2475/").json()["synonyms"] == ["FRAP", "FRAP1"]
    with django_assert_num_queries(2):
        response = api.get("/api/v1/genes/?is_landmark=true")
    assert [g["symbol"] for g in response.json()["results"]] == ["MTOR"]
    response = api.get("/api/v1/genes/?q=FRAP1")
    assert [g["entrez_id"] for g in response.json()["results"]] == [2475]


def test_gene_sets_are_listed_per_library_and_filter_by_member_gene(api):
    hallmark = GeneSetLibraryFactory(slug="msigdb-hallmark", name="MSigDB Hallmark")
    GeneSetFactory(library=hallmark, name="HALLMARK_P53_PATHWAY", genes=["TP53", "MDM2"])
    GeneSetFactory(library=hallmark, name="HALLMARK_MTORC1_SIGNALING", genes=["MTOR", "RPTOR"])
    assert api.get("/api/v1/genesets/msigdb-hallmark/").json()["name"] == "MSigDB Hallmark"
    response = api.get("/api/v1/genesets/msigdb-hallmark/sets/?gene=MTOR")
    assert [s["name"] for s in response.json()["results"]] == ["HALLMARK_MTORC1_SIGNALING"]
    assert api.get("/api/v1/genesets/none/sets/").status_code == 404
    assert api.get("/api/v1/genesets/msigdb-hallmark/sets/?genes=MTOR").status_code == 400


def test_perturbagens_with_signatures_can_be_listed_alone_and_sorted_by_count(api, lincscp):
    PerturbagenFactory(name="unprofiled")
    response = api.get("/api/v1/perturbagens/?has_signatures=true&ordering=-n_signatures")
    assert [p["name"] for p in response.json()["results"]] == ["vorinostat", "everolimus"]
