"""The server-rendered catalogue: home, search, collections, datasets and sample tables."""

import csv

import pytest

from tests.conftest import FIXTURES
from tests.factories import (
    CollectionFactory,
    DatasetFactory,
    SampleFactory,
    SignatureLibraryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
ANNOTATION = FIXTURES / "rnaseq" / "GSE147507_sample_annotation_n40.tsv"


@pytest.fixture
def covid():
    return CollectionFactory(
        slug="covid-19", name="COVID-19", description="SARS-CoV-2 infection studies."
    )


@pytest.fixture
def gse147507(covid):
    dataset = DatasetFactory(
        accession="GSE147507",
        title="Imbalanced host response to SARS-CoV-2 drives development of COVID-19",
        collection=covid,
        data_type="rnaseq_counts",
        n_samples=40,
        source_url="https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi?acc=GSE147507",
    )
    with ANNOTATION.open() as handle:
        for position, row in enumerate(csv.DictReader(handle, delimiter="\t")):
            name = row.pop("sample")
            SampleFactory(dataset=dataset, name=name, position=position, metadata=row)
    return dataset


def test_the_home_page_shows_counts_collections_and_a_search_box(client, gse147507):
    html = client.get("/").content.decode()
    assert "COVID-19" in html
    assert 'name="q"' in html
    assert "<strong>1</strong> datasets" in html


def test_the_search_finds_a_dataset_by_accession(client, gse147507):
    html = client.get("/search/?q=GSE147507").content.decode()
    assert 'href="/datasets/GSE147507/"' in html


def test_the_collection_page_lists_its_datasets_and_libraries(client, gse147507, covid):
    SignatureLibraryFactory(slug="covid-sigs", name="COVID-19 signatures", collection=covid)
    html = client.get("/collections/covid-19/").content.decode()
    assert "SARS-CoV-2 infection studies." in html
    assert "GSE147507" in html
    assert "COVID-19 signatures" in html


def test_the_dataset_list_shows_accession_title_organism_type_and_count(client, gse147507):
    html = client.get("/datasets/").content.decode()
    assert 'href="/datasets/GSE147507/"' in html
    assert "Imbalanced host response" in html
    assert "Homo sapiens" in html
    assert "RNA-seq counts" in html
    assert ">40<" in html


def test_the_dataset_list_sorts_and_filters(client, gse147507):
    DatasetFactory(accession="GSE_OTHER", title="Another study", n_samples=3)
    html = client.get("/datasets/?ordering=-n_samples").content.decode()
    assert html.index("GSE147507") < html.index("GSE_OTHER")
    html = client.get("/datasets/?collection=covid-19").content.decode()
    assert "GSE_OTHER" not in html


def test_an_unknown_filter_on_a_page_is_a_400_naming_it(client, gse147507):
    response = client.get("/datasets/?organsim=human")
    assert response.status_code == 400
    assert "organsim" in response.content.decode()


def test_the_dataset_page_offers_a_filter_for_every_metadata_field(client, gse147507):
    html = client.get("/datasets/GSE147507/").content.decode()
    for key in ("series", "cell_type", "condition", "replicate", "group", "comparison_id"):
        assert f"<th>{key}</th>" in html
    assert 'value="cell_type:A549-ACE2"' in html
    assert "Series1_NHBE_Mock_1" in html
    assert "GEO" in html


def test_the_dataset_page_filters_its_samples_on_metadata(client, gse147507):
    response = client.get("/datasets/GSE147507/?meta=cell_type:NHBE&meta=condition:Mock")
    html = response.content.decode()
    assert "Series1_NHBE_Mock_1" in html
    assert "Series2_A549_Mock_1" not in html
    assert "3 results" in html


def test_a_private_dataset_page_is_a_404_for_visitors_but_shown_to_its_owner(client):
    owner = UserFactory(username="owner")
    DatasetFactory(accession="GSE_PRIVATE", is_public=False, owner=owner)
    assert client.get("/datasets/GSE_PRIVATE/").status_code == 404
    assert "GSE_PRIVATE" not in client.get("/datasets/").content.decode()
    client.force_login(owner)
    assert client.get("/datasets/GSE_PRIVATE/").status_code == 200


def test_the_dataset_list_page_costs_the_same_queries_for_many_rows(
    client, django_assert_max_num_queries
):
    DatasetFactory.create_batch(30)
    with django_assert_max_num_queries(3):
        response = client.get("/datasets/")
    assert response.status_code == 200
