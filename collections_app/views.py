"""A user's own collections, and read-only pages for collections shared by link."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from catalog.selectors import dataset_list
from collections_app.models import UserCollection
from signatures.selectors import signature_list


@login_required
def my_collections(request):
    collections = UserCollection.objects.filter(owner=request.user)
    return render(request, "collections_app/my_collections.html", {"collections": collections})


def _collection_page(request, collection: UserCollection):
    context = {
        "collection": collection,
        # What the viewer may see of it: a shared link never reveals private datasets.
        "datasets": dataset_list(user=request.user).filter(user_collections=collection),
        "signatures": signature_list(user=request.user).filter(user_collections=collection),
    }
    return render(request, "collections_app/collection_detail.html", context)


@login_required
def my_collection_detail(request, pk):
    collection = get_object_or_404(UserCollection, pk=pk, owner=request.user)
    return _collection_page(request, collection)


def shared_collection(request, token):
    collection = get_object_or_404(UserCollection, share_token=token, is_shared=True)
    return _collection_page(request, collection)
