"""The read-only catalogue API: collections, datasets and a dataset's samples."""

import csv

import pytest
from rest_framework.test import APIClient

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
def api():
    return APIClient()


def annotation_rows() -> list[dict]:
    with ANNOTATION.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture
def gse147507():
    """The real GSE147507 sample annotation loaded as samples of one dataset."""
    dataset = DatasetFactory(
        accession="GSE147507",
        title="Imbalanced host response to SARS-CoV-2 drives development of COVID-19",
    )
    for position, row in enumerate(annotation_rows()):
        name = row.pop("sample")
        SampleFactory(dataset=dataset, name=name, position=position, metadata=row)
    return dataset


def test_the_dataset_list_is_paginated_and_names_related_objects_by_public_ids(
    api, django_assert_num_queries
):
    DatasetFactory.create_batch(3)
    with django_assert_num_queries(2):  # count + one page with its joins
        response = api.get("/api/v1/datasets/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first["organism"] == "Homo sapiens"
    assert first["platform"].startswith("GPL")
    assert "id" not in first


def test_the_dataset_list_costs_the_same_queries_for_many_rows(api, django_assert_num_queries):
    DatasetFactory.create_batch(25)
    with django_assert_num_queries(2):
        response = api.get("/api/v1/datasets/?page_size=25")
    assert len(response.json()["results"]) == 25


def test_a_dataset_is_found_by_its_accession(api, gse147507):
    response = api.get("/api/v1/datasets/GSE147507/")
    assert response.status_code == 200
    assert response.json()["title"].startswith("Imbalanced host response")


def test_an_unknown_accession_gets_a_404_that_says_where_to_look(api):
    response = api.get("/api/v1/datasets/GSE0/")
    assert response.status_code == 404
    assert "GSE0" in response.json()["detail"]
    assert "/api/v1/datasets/" in response.json()["detail"]


def test_an_unknown_filter_parameter_is_a_400_naming_it(api):
    response = api.get("/api/v1/datasets/?organsim=human")
    assert response.status_code == 400
    assert "organsim" in response.json()
    assert "Unknown filter parameter 'organsim'" in response.json()["organsim"][0]


def test_datasets_filter_by_collection_and_data_type(api):
    lincs = CollectionFactory(slug="lincs")
    DatasetFactory(accession="LINCS_A375", collection=lincs, data_type="l1000")
    DatasetFactory(accession="GSE1", data_type="microarray")
    response = api.get("/api/v1/datasets/?collection=lincs&data_type=l1000")
    assert [d["accession"] for d in response.json()["results"]] == ["LINCS_A375"]
    assert api.get("/api/v1/datasets/?data_type=nonsense").status_code == 400


def test_datasets_sort_by_sample_count(api):
    DatasetFactory(accession="SMALL", n_samples=4)
    DatasetFactory(accession="LARGE", n_samples=400)
    response = api.get("/api/v1/datasets/?ordering=-n_samples")
    assert [d["accession"] for d in response.json()["results"]] == ["LARGE", "SMALL"]


def test_samples_of_a_dataset_filter_on_metadata_keys(api, gse147507, django_assert_num_queries):
    expected = sorted(
        row["sample"]
        for row in annotation_rows()
        if row["cell_type"] == "A549-ACE2" and row["condition"] == "SARS-CoV-2"
    )
    assert expected  # the real table has infected A549-ACE2 samples
    url = (
        "/api/v1/datasets/GSE147507/samples/"
        "?meta=cell_type:A549-ACE2&meta=condition:SARS-CoV-2&page_size=100"
    )
    with django_assert_num_queries(3):  # the dataset, the count, the page
        response = api.get(url)
    assert response.status_code == 200
    assert sorted(s["name"] for s in response.json()["results"]) == expected
    assert response.json()["results"][0]["metadata"]["cell_type"] == "A549-ACE2"


def test_all_samples_of_a_dataset_are_listed_in_column_order(api, gse147507):
    response = api.get("/api/v1/datasets/GSE147507/samples/?page_size=100")
    names = [s["name"] for s in response.json()["results"]]
    assert names == [row["sample"] for row in annotation_rows()]


def test_a_malformed_metadata_filter_explains_the_expected_form(api, gse147507):
    response = api.get("/api/v1/datasets/GSE147507/samples/?meta=A549")
    assert response.status_code == 400
    assert "key:value" in response.json()["meta"][0]


def test_samples_of_an_unknown_dataset_are_a_404(api):
    response = api.get("/api/v1/datasets/GSE0/samples/")
    assert response.status_code == 404
    assert "GSE0" in response.json()["detail"]


class TestPrivateDatasets:
    @pytest.fixture
    def owner(self):
        return UserFactory(username="owner")

    @pytest.fixture
    def private(self, owner):
        return DatasetFactory(accession="GSE_PRIVATE", is_public=False, owner=owner)

    def test_anonymous_visitors_do_not_see_them(self, api, private):
        assert api.get("/api/v1/datasets/").json()["count"] == 0
        assert api.get("/api/v1/datasets/GSE_PRIVATE/").status_code == 404
        assert api.get("/api/v1/datasets/GSE_PRIVATE/samples/").status_code == 404

    def test_another_registered_user_does_not_see_them(self, api, private):
        api.force_authenticate(UserFactory(username="someone"))
        assert api.get("/api/v1/datasets/GSE_PRIVATE/").status_code == 404

    def test_the_owner_and_staff_see_them(self, api, private, owner):
        api.force_authenticate(owner)
        assert api.get("/api/v1/datasets/GSE_PRIVATE/").status_code == 200
        api.force_authenticate(UserFactory(username="curator", is_staff=True))
        assert api.get("/api/v1/datasets/").json()["count"] == 1


def test_collections_count_only_visible_datasets_and_libraries(api, django_assert_num_queries):
    covid = CollectionFactory(slug="covid-19", name="COVID-19")
    DatasetFactory(collection=covid)
    DatasetFactory(collection=covid, is_public=False)
    SignatureLibraryFactory(collection=covid, n_signatures=20)
    SignatureLibraryFactory(collection=covid, n_signatures=5, is_public=False)
    CollectionFactory.create_batch(3)
    with django_assert_num_queries(2):
        response = api.get("/api/v1/collections/")
    rows = {c["slug"]: c for c in response.json()["results"]}
    assert rows["covid-19"]["n_datasets"] == 1
    assert rows["covid-19"]["n_libraries"] == 1
    assert rows["covid-19"]["n_signatures"] == 20
    assert api.get("/api/v1/collections/covid-19/").json()["name"] == "COVID-19"


def test_the_api_root_lists_the_resources(api):
    body = api.get("/api/v1/").json()
    assert body["datasets"].endswith("/api/v1/datasets/")
    assert body["genesets"].endswith("/api/v1/genesets/")
