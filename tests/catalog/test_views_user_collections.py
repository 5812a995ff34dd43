"""A user's own collections, and the read-only page of a shared one."""

import pytest

from collections_app.models import UserCollection
from tests.factories import DatasetFactory, SignatureFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved():
    owner = UserFactory(username="ana")
    collection = UserCollection.objects.create(owner=owner, name="COVID queries")
    collection.datasets.add(
        DatasetFactory(accession="GSE147507"),
        DatasetFactory(accession="GSE_HIDDEN", is_public=False),
    )
    collection.signatures.add(SignatureFactory(accession="LINCSCP_100"))
    return collection


def test_my_collections_need_a_login(client):
    response = client.get("/my/collections/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_owner_sees_the_list_and_the_content(client, saved):
    client.force_login(saved.owner)
    assert "COVID queries" in client.get("/my/collections/").content.decode()
    html = client.get(f"/my/collections/{saved.pk}/").content.decode()
    assert "GSE147507" in html and "LINCSCP_100" in html


def test_another_user_cannot_open_it(client, saved):
    client.force_login(UserFactory(username="bob"))
    assert client.get(f"/my/collections/{saved.pk}/").status_code == 404


def test_a_shared_link_is_read_only_public_and_hides_private_datasets(client, saved):
    assert client.get(f"/shared/{saved.share_token}/").status_code == 404
    saved.is_shared = True
    saved.save()
    html = client.get(f"/shared/{saved.share_token}/").content.decode()
    assert "GSE147507" in html and "GSE_HIDDEN" not in html
