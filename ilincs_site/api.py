"""Shared base for the read-only catalogue API: strict filters, pagination, helpful 404s."""

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from ilincs_site.pagination import PortalPagination


class CatalogViewSet(viewsets.ReadOnlyModelViewSet):
    """List and retrieve by a public identifier; the list is filtered by ``filterset_class``."""

    filter_backends = [DjangoFilterBackend]
    pagination_class = PortalPagination

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            name = self.get_queryset().model._meta.verbose_name
            listing = self.request.path.rstrip("/").rsplit("/", 1)[0] + "/"
            raise NotFound(
                f"No {name} has {self.lookup_field} '{value}' (or it is not public). "
                f"See the list at {listing}."
            ) from None


API_RESOURCES = {
    "collections": "collection-list",
    "datasets": "dataset-list",
    "libraries": "library-list",
    "signatures": "signature-list",
    "perturbagens": "perturbagen-list",
    "genes": "gene-list",
    "genesets": "genesetlibrary-list",
    "schema": "api-schema",
    "docs": "api-docs",
}


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    """The resources of the API, with their addresses."""
    return Response(
        {name: reverse(url_name, request=request) for name, url_name in API_RESOURCES.items()}
    )
