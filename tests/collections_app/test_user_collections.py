"""User collections: save signatures and datasets, share a read-only link, group analysis."""

import pytest

from collections_app.models import UserCollection
from tests.factories import SignatureFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann(client):
    user = UserFactory(username="ann")
    client.force_login(user)
    return user


def test_a_user_saves_a_signature_into_a_new_collection_from_its_page(client, ann):
    signature = SignatureFactory()
    response = client.post(
        "/my/collections/add/", {"signature": signature.accession, "new_name": "HDAC"}
    )
    collection = UserCollection.objects.get(owner=ann, name="HDAC")
    assert response.url == f"/my/collections/{collection.pk}/"
    assert list(collection.signatures.all()) == [signature]
    page = client.get(response.url)
    assert signature.accession.encode() in page.content


def test_sharing_gives_a_read_only_link_that_others_can_open_and_unsharing_closes(client, ann):
    collection = UserCollection.objects.create(owner=ann, name="mine")
    a, b = SignatureFactory(), SignatureFactory()
    collection.signatures.add(a, b)
    client.post(f"/my/collections/{collection.pk}/share/", {"shared": "1"})
    collection.refresh_from_db()
    assert collection.is_shared
    link = f"/shared/{collection.share_token}/"
    client.logout()
    page = client.get(link)
    assert page.status_code == 200
    assert b"read-only shared link" in page.content and b"remove</button>" not in page.content
    assert b"/group-analysis/?signatures=" in page.content
    assert client.get(f"/my/collections/{collection.pk}/").status_code == 302  # login first
    client.force_login(ann)
    client.post(f"/my/collections/{collection.pk}/share/", {"shared": "0"})
    assert client.get(link).status_code == 404


def test_someone_else_cannot_add_to_or_see_a_private_collection(client, ann):
    other = UserFactory(username="bob")
    theirs = UserCollection.objects.create(owner=other, name="theirs")
    signature = SignatureFactory()
    response = client.post(
        "/my/collections/add/", {"signature": signature.accession, "collection": theirs.pk}
    )
    assert response.status_code == 404
    assert client.get(f"/my/collections/{theirs.pk}/").status_code == 404
    assert client.get(f"/shared/{theirs.share_token}/").status_code == 404  # not shared


def test_unknown_accessions_are_reported_and_duplicates_are_not_added_twice(client, ann):
    collection = UserCollection.objects.create(owner=ann, name="mine")
    signature = SignatureFactory()
    for _ in range(2):
        client.post(
            "/my/collections/add/",
            {"collection": collection.pk, "accessions": f"{signature.accession} NOPE_1"},
        )
    assert collection.signatures.count() == 1
    page = client.get(f"/my/collections/{collection.pk}/")
    assert b"no signature or dataset &#x27;NOPE_1&#x27;" in page.content


def test_a_collection_name_must_be_new(client, ann):
    UserCollection.objects.create(owner=ann, name="mine")
    response = client.post("/my/collections/", {"name": "mine"}, follow=True)
    assert b"already have a collection named" in response.content


@pytest.mark.parametrize(
    "referer, expected",
    [
        ("https://evil.example/phish", "/my/collections/"),
        ("//evil.example/phish", "/my/collections/"),
        ("http://testserver/signatures/?q=HDAC", "http://testserver/signatures/?q=HDAC"),
    ],
)
def test_a_failed_add_goes_back_only_to_a_page_of_this_site(client, ann, referer, expected):
    UserCollection.objects.create(owner=ann, name="mine")
    response = client.post(
        "/my/collections/add/", {"new_name": "mine"}, headers={"referer": referer}
    )
    assert response.status_code == 302
    assert response.url == expected
