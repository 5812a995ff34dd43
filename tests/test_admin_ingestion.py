"""Curator admin: dataset ingestion (preview then confirm), publish actions, access rules."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Dataset
from signatures.models import SignatureLibrary
from tests.factories import (
    CollectionFactory,
    CuratorFactory,
    DatasetFactory,
    SignatureLibraryFactory,
    UserFactory,
    catalogue_state,
)

pytestmark = pytest.mark.django_db
URL = "/admin/catalog/dataset/ingest/"
MATRIX = b"gene\tS1\tS2\tS3\nTP53\t1.5\t2\t3\nEGFR\t0\t1\t-1\n"
SAMPLES = b"sample\tgroup\tdose\nS1\tmock\t0\nS2\tvirus\t1\nS3\tvirus\t10\n"


def fields(**extra):
    return {
        "accession": "GSE999",
        "title": "A curated dataset",
        "collection": CollectionFactory(slug="geo").pk,
        "organism": "9606",
        "data_type": "microarray",
        "scale": "log",
        "feature_kind": "gene",
        **extra,
    }


def uploads():
    return {
        "matrix": SimpleUploadedFile("m.tsv", MATRIX),
        "samples": SimpleUploadedFile("s.tsv", SAMPLES),
    }


def test_a_curator_previews_then_confirms_an_ingestion(client, settings):
    client.force_login(CuratorFactory())
    data = fields()
    before = catalogue_state(settings.DATA_DIR)[0]
    preview = client.post(URL, {**data, **uploads(), "preview": "1"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "<strong>2</strong> features" in html and "<strong>3</strong> samples" in html
    assert "virus" in html and "Confirm and import" in html
    assert catalogue_state(settings.DATA_DIR)[0] == before  # nothing imported yet
    token = preview.context["form"].initial["token"]
    done = client.post(URL, {**data, "token": token, "confirm": "1"})
    dataset = Dataset.objects.get(accession="GSE999")
    assert done.status_code == 302 and done["Location"].endswith(f"/{dataset.pk}/change/")
    assert (dataset.n_features, dataset.n_samples) == (2, 3)
    assert dataset.samples.get(name="S3").metadata == {"group": "virus", "dose": "10"}


def test_a_curator_can_create_the_collection_while_ingesting(client):
    client.force_login(CuratorFactory())
    data = {**fields(collection="", new_collection_slug="covid", new_collection_name="COVID-19")}
    token = client.post(URL, {**data, **uploads()}).context["form"].initial["token"]
    client.post(URL, {**data, "token": token, "confirm": "1"})
    assert Dataset.objects.get(accession="GSE999").collection.name == "COVID-19"


def test_a_malformed_upload_shows_the_one_line_error_and_imports_nothing(client):
    client.force_login(CuratorFactory())
    bad = {"matrix": SimpleUploadedFile("m.tsv", b"gene\tS1\nTP53\tlots\n")}
    response = client.post(URL, {**fields(), **bad})
    assert response.status_code == 200
    assert "non-numeric value &#x27;lots&#x27;" in response.content.decode()
    assert not Dataset.objects.exists()


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.post(URL, {**fields(), **uploads()})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Dataset.objects.exists()


def test_a_registered_non_staff_user_is_denied(client):
    client.force_login(UserFactory())
    response = client.post(URL, {**fields(), **uploads()})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Dataset.objects.exists()


def test_staff_without_the_curator_permissions_is_forbidden(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(URL).status_code == 403


def test_curators_publish_and_unpublish_datasets_and_libraries(client):
    client.force_login(CuratorFactory())
    dataset = DatasetFactory(is_public=True)
    library = SignatureLibraryFactory(is_public=True)
    client.post(
        reverse("admin:catalog_dataset_changelist"),
        {"action": "unpublish", "_selected_action": [dataset.pk]},
    )
    client.post(
        reverse("admin:signatures_signaturelibrary_changelist"),
        {"action": "unpublish", "_selected_action": [library.pk]},
    )
    assert not Dataset.objects.get(pk=dataset.pk).is_public
    assert not SignatureLibrary.objects.get(pk=library.pk).is_public
    client.post(
        reverse("admin:catalog_dataset_changelist"),
        {"action": "publish", "_selected_action": [dataset.pk]},
    )
    assert Dataset.objects.get(pk=dataset.pk).is_public


@pytest.mark.parametrize(
    "name",
    [
        "catalog_dataset",
        "catalog_sample",
        "catalog_collection",
        "catalog_cellline",
        "signatures_gene",
        "signatures_perturbagen",
        "signatures_signature",
        "signatures_signaturelibrary",
        "signatures_geneset",
        "collections_app_usercollection",
    ],
)
def test_every_changelist_searches_for_a_curator(client, name):
    client.force_login(CuratorFactory())
    response = client.get(reverse(f"admin:{name}_changelist"), {"q": "MTOR"})
    assert response.status_code == 200
