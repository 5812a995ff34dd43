from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import NotFound

from ilincs_site.api import CatalogViewSet
from ilincs_site.pagination import PortalPagination
from signatures import selectors
from signatures.api.serializers import (
    GeneSerializer,
    GeneSetLibrarySerializer,
    GeneSetSerializer,
    PerturbagenSerializer,
    SignatureLibrarySerializer,
    SignatureSerializer,
)
from signatures.filtersets import (
    GeneFilterSet,
    GeneSetFilterSet,
    GeneSetLibraryFilterSet,
    PerturbagenFilterSet,
    SignatureFilterSet,
    SignatureLibraryFilterSet,
)
from signatures.models import GeneSet


class SignatureLibraryViewSet(CatalogViewSet):
    """Signature libraries, looked up by slug."""

    serializer_class = SignatureLibrarySerializer
    filterset_class = SignatureLibraryFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.library_list(user=self.request.user)


class SignatureViewSet(CatalogViewSet):
    """Signatures, looked up by accession (e.g. LINCSCP_100)."""

    serializer_class = SignatureSerializer
    filterset_class = SignatureFilterSet
    lookup_field = "accession"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.signature_list(user=self.request.user)


class PerturbagenViewSet(CatalogViewSet):
    """Compounds and genetic perturbations, looked up by accession (LINCS pert_id)."""

    serializer_class = PerturbagenSerializer
    filterset_class = PerturbagenFilterSet
    lookup_field = "accession"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.perturbagen_list(user=self.request.user)


class GeneViewSet(CatalogViewSet):
    """Genes, looked up by Entrez id."""

    serializer_class = GeneSerializer
    filterset_class = GeneFilterSet
    lookup_field = "entrez_id"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.gene_list()


class GeneSetLibraryViewSet(CatalogViewSet):
    """Gene-set libraries (GMT files: Hallmark, KEGG, Reactome, GO), looked up by slug."""

    serializer_class = GeneSetLibrarySerializer
    filterset_class = GeneSetLibraryFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.geneset_library_list()


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("slug", str, OpenApiParameter.PATH, description="Library slug.")
        ]
    )
)
class GeneSetList(generics.ListAPIView):
    """The gene sets of one library, filterable by member gene, size and name."""

    serializer_class = GeneSetSerializer
    filterset_class = GeneSetFilterSet
    pagination_class = PortalPagination
    filter_backends = [DjangoFilterBackend]
    queryset = GeneSet.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GeneSet.objects.none()
        slug = self.kwargs["slug"]
        library = selectors.geneset_library_list().filter(slug=slug).first()
        if library is None:
            raise NotFound(f"No gene-set library has slug '{slug}'. See /api/v1/genesets/.")
        return selectors.geneset_list(library=library)
