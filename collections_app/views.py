"""A user's own collections, and read-only pages for collections shared by link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from catalog.selectors import dataset_list
from collections_app import selectors, services
from collections_app.models import UserCollection
from ilincs_site.redirects import redirect_back
from signatures.selectors import signature_list


@login_required
def my_collections(request):
    if request.method == "POST":
        try:
            collection = services.collection_create(
                owner=request.user,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
            )
        except services.CollectionError as exc:
            messages.error(request, str(exc))
            return redirect("collections_app:my-collections")
        return redirect("collections_app:my-collection-detail", pk=collection.pk)
    collections = selectors.collection_list(owner=request.user)
    return render(request, "collections_app/my_collections.html", {"collections": collections})


def _collection_page(request, collection: UserCollection, *, editable: bool):
    context = {
        "collection": collection,
        "editable": editable,
        **selectors.collection_items(collection=collection, viewer=request.user),
    }
    return render(request, "collections_app/collection_detail.html", context)


@login_required
def my_collection_detail(request, pk):
    collection = get_object_or_404(UserCollection, pk=pk, owner=request.user)
    return _collection_page(request, collection, editable=True)


def shared_collection(request, token):
    collection = get_object_or_404(UserCollection, share_token=token, is_shared=True)
    return _collection_page(request, collection, editable=False)


def _items(request) -> tuple[list, list]:
    """The signatures and datasets named in the form that the user may see."""
    names = request.POST.get("accessions", "").replace(",", " ").split()
    names += request.POST.getlist("signature") + request.POST.getlist("dataset")
    signatures = list(signature_list(user=request.user).filter(accession__in=names))
    datasets = list(dataset_list(user=request.user).filter(accession__in=names))
    found = {s.accession for s in signatures} | {d.accession for d in datasets}
    for missing in sorted(set(names) - found):
        messages.error(request, f"no signature or dataset {missing!r}")
    return signatures, datasets


@login_required
@require_POST
def collection_add(request):
    """Save signatures/datasets into one of the user's collections (or a new one)."""
    if request.POST.get("new_name"):
        try:
            collection = services.collection_create(
                owner=request.user, name=request.POST["new_name"]
            )
        except services.CollectionError as exc:
            messages.error(request, str(exc))
            return redirect_back(request, "collections_app:my-collections")
    else:
        collection = get_object_or_404(
            UserCollection, pk=request.POST.get("collection") or 0, owner=request.user
        )
    signatures, datasets = _items(request)
    added = services.collection_add(collection=collection, signatures=signatures, datasets=datasets)
    messages.info(request, f"{added} item(s) saved to {collection.name}.")
    return redirect("collections_app:my-collection-detail", pk=collection.pk)


@login_required
@require_POST
def collection_remove(request, pk):
    collection = get_object_or_404(UserCollection, pk=pk, owner=request.user)
    signatures, datasets = _items(request)
    services.collection_remove(collection=collection, signatures=signatures, datasets=datasets)
    return redirect("collections_app:my-collection-detail", pk=collection.pk)


@login_required
@require_POST
def collection_share(request, pk):
    collection = get_object_or_404(UserCollection, pk=pk, owner=request.user)
    services.collection_set_shared(collection=collection, shared=request.POST.get("shared") == "1")
    return redirect("collections_app:my-collection-detail", pk=collection.pk)
