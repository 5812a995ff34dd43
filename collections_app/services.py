"""Writes on a user's collections: create, add/remove items, share by link."""

from __future__ import annotations

from django.db import transaction

from catalog.fields import fit
from catalog.models import Dataset
from collections_app.models import UserCollection, _share_token
from signatures.models import Signature


class CollectionError(ValueError):
    """A request on a collection that cannot be done; the message is shown to the user."""


def collection_create(*, owner, name: str, description: str = "") -> UserCollection:
    name = name.strip()
    if not name:
        raise CollectionError("a collection needs a name")
    if UserCollection.objects.filter(owner=owner, name=name).exists():
        raise CollectionError(f"you already have a collection named {name!r}")
    return UserCollection.objects.create(
        owner=owner, name=fit(UserCollection, "name", name), description=description
    )


@transaction.atomic
def collection_add(
    *, collection: UserCollection, signatures: list[Signature] = (), datasets: list[Dataset] = ()
) -> int:
    """Add items (already checked visible to the owner); returns how many were new."""
    before = collection.signatures.count() + collection.datasets.count()
    collection.signatures.add(*signatures)
    collection.datasets.add(*datasets)
    return collection.signatures.count() + collection.datasets.count() - before


def collection_remove(
    *, collection: UserCollection, signatures: list[Signature] = (), datasets: list[Dataset] = ()
) -> None:
    collection.signatures.remove(*signatures)
    collection.datasets.remove(*datasets)


def collection_set_shared(*, collection: UserCollection, shared: bool) -> UserCollection:
    """Sharing exposes a read-only link; un-sharing and sharing again gives a new link."""
    if shared and not collection.is_shared:
        collection.share_token = _share_token()
    collection.is_shared = shared
    collection.save(update_fields=["is_shared", "share_token"])
    return collection
