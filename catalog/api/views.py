from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import NotFound

from catalog import selectors
from catalog.api.serializers import CollectionSerializer, DatasetSerializer, SampleSerializer
from catalog.filtersets import CollectionFilterSet, DatasetFilterSet, SampleFilterSet
from catalog.models import Sample
from ilincs_site.api import CatalogViewSet
from ilincs_site.pagination import PortalPagination


class CollectionViewSet(CatalogViewSet):
    """Curated collections (LINCS, TCGA, GEO, ...) with counts of what they hold."""

    serializer_class = CollectionSerializer
    filterset_class = CollectionFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.collection_list(user=self.request.user)


class DatasetViewSet(CatalogViewSet):
    """Expression datasets, looked up by accession (e.g. GSE147507)."""

    serializer_class = DatasetSerializer
    filterset_class = DatasetFilterSet
    lookup_field = "accession"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.dataset_list(user=self.request.user)


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter(
                "accession", str, OpenApiParameter.PATH, description="Dataset accession."
            )
        ]
    )
)
class DatasetSampleList(generics.ListAPIView):
    """The samples of one dataset, filterable on any metadata field with ``meta=key:value``."""

    serializer_class = SampleSerializer
    filterset_class = SampleFilterSet
    pagination_class = PortalPagination
    filter_backends = [DjangoFilterBackend]
    queryset = Sample.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Sample.objects.none()
        accession = self.kwargs["accession"]
        dataset = selectors.dataset_visible(user=self.request.user).filter(accession=accession)
        dataset = dataset.first()
        if dataset is None:
            raise NotFound(
                f"No dataset has accession '{accession}' (or it is not public). "
                "See the list at /api/v1/datasets/."
            )
        return selectors.sample_list(dataset=dataset)
