"""Server-rendered catalogue pages: collections, datasets and a dataset's samples."""

from django.shortcuts import get_object_or_404, render

from catalog import selectors
from catalog.choices import DataType
from catalog.filtersets import CollectionFilterSet, DatasetFilterSet, SampleFilterSet
from catalog.models import Collection
from ilincs_site.filters import paginate, render_filtered_list


def collection_list(request):
    return render_filtered_list(
        request,
        filterset_class=CollectionFilterSet,
        queryset=selectors.collection_list(user=request.user),
        template="catalog/collection_list.html",
    )


def collection_detail(request, slug):
    collection = get_object_or_404(selectors.collection_list(user=request.user), slug=slug)
    return render_filtered_list(
        request,
        filterset_class=DatasetFilterSet,
        queryset=selectors.dataset_list(user=request.user).filter(collection=collection),
        template="catalog/collection_detail.html",
        context={
            "collection": collection,
            "libraries": collection.libraries.filter(is_public=True)
            if not request.user.is_staff
            else collection.libraries.all(),
        },
    )


def dataset_list(request):
    return render_filtered_list(
        request,
        filterset_class=DatasetFilterSet,
        queryset=selectors.dataset_list(user=request.user),
        template="catalog/dataset_list.html",
        context={"collections": Collection.objects.all(), "data_types": DataType.choices},
    )


def dataset_detail(request, accession):
    dataset = get_object_or_404(selectors.dataset_list(user=request.user), accession=accession)
    samples = SampleFilterSet(
        request.GET, queryset=selectors.sample_list(dataset=dataset), request=request
    )
    context = {
        "dataset": dataset,
        "filter": samples,
        "links": selectors.dataset_links(dataset=dataset),
        "fields": selectors.sample_metadata_fields(dataset=dataset),
        "selected_meta": set(request.GET.getlist("meta")),
    }
    if not samples.is_valid():
        context["errors"] = samples.error_messages()
        return render(request, "catalog/bad_request.html", context, status=400)
    page = paginate(request, samples.qs, default_size=100)
    keys = [field.key for field in context["fields"]]
    context["page_obj"] = page
    context["rows"] = [(s, [s.metadata.get(k) for k in keys]) for s in page]
    return render(request, "catalog/dataset_detail.html", context)
