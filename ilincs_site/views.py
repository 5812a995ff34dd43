"""The home page, the site-wide search, the health check and the error pages."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

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


# --- error pages: JSON under /api/, the HTML templates elsewhere ------------------------------


def _api_error(request, status: int, message: str) -> JsonResponse | None:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return None


def bad_request(request, exception):
    message = "The request is malformed or too large (too many fields, or a bad Host)."
    return _api_error(request, 400, message) or defaults.bad_request(request, exception)


def permission_denied(request, exception):
    message = "You do not have permission to perform this action."
    return _api_error(request, 403, message) or defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    message = f"No API resource at {request.path}; the resources are listed at /api/v1/."
    return _api_error(request, 404, message) or defaults.page_not_found(request, exception)


def server_error(request):
    message = "The server failed to answer this request; the error was logged."
    return _api_error(request, 500, message) or defaults.server_error(request)
