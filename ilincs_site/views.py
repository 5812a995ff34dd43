"""The home page, the site-wide search and the health check."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from catalog.filtersets import DatasetFilterSet
from catalog.selectors import collection_list, dataset_list
from signatures import selectors as signature_selectors
from signatures.filtersets import GeneFilterSet, PerturbagenFilterSet, SignatureFilterSet

SEARCH_PREVIEW = 10


def home(request):
    user = request.user
    counts = {
        "collections": collection_list(user=user).count(),
        "datasets": dataset_list(user=user).count(),
        "libraries": signature_selectors.library_list(user=user).count(),
        "signatures": signature_selectors.signature_list(user=user).count(),
        "perturbagens": signature_selectors.perturbagen_list(user=user).count(),
        "genes": signature_selectors.gene_list().count(),
    }
    return render(
        request,
        "home.html",
        {"counts": counts, "collections": collection_list(user=user)},
    )


def search(request):
    """One query across datasets, signatures, perturbagens and genes, a few of each."""
    q = request.GET.get("q", "").strip()
    sections = []
    if q:
        user = request.user
        searches = [
            ("Datasets", "catalog:dataset-list", DatasetFilterSet, dataset_list(user=user)),
            (
                "Perturbagens",
                "signatures:perturbagen-list",
                PerturbagenFilterSet,
                signature_selectors.perturbagen_list(user=user),
            ),
            ("Genes", "signatures:gene-list", GeneFilterSet, signature_selectors.gene_list()),
            (
                "Signatures",
                "signatures:signature-list",
                SignatureFilterSet,
                signature_selectors.signature_list(user=user),
            ),
        ]
        for title, url_name, filterset_class, queryset in searches:
            matches = filterset_class({"q": q}, queryset=queryset).qs
            sections.append(
                {
                    "title": title,
                    "url_name": url_name,
                    "items": list(matches[:SEARCH_PREVIEW]),
                    "count": matches.count(),
                }
            )
    return render(request, "search.html", {"q": q, "sections": sections})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
