"""Reads on user collections: the owner's list and what a viewer may see of one."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, QuerySet

from catalog.selectors import dataset_list
from collections_app.models import UserCollection
from signatures.selectors import signature_list


def collection_list(*, owner) -> QuerySet[UserCollection]:
    return UserCollection.objects.filter(owner=owner).annotate(
        n_signatures=Count("signatures", distinct=True), n_datasets=Count("datasets", distinct=True)
    )


def collection_items(*, collection: UserCollection, viewer) -> dict:
    """The datasets and signatures of a collection that ``viewer`` may see (a shared link
    never reveals private items), and its composition by library and perturbagen kind."""
    signatures = signature_list(user=viewer).filter(user_collections=collection)
    signatures = signatures.select_related("library", "perturbagen", "cell_line")
    datasets = dataset_list(user=viewer).filter(user_collections=collection)
    by_library = Counter(s.library.name for s in signatures)
    return {"signatures": signatures, "datasets": datasets, "by_library": dict(by_library)}
