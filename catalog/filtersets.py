"""FilterSets of the catalogue, shared by the HTML lists, the API and the selectors."""

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django_filters import rest_framework as filters

from catalog.choices import DataType
from catalog.models import Collection, Dataset, Sample
from ilincs_site.filters import KeyValueFilter, StrictFilterSet, search_filter


class CollectionFilterSet(StrictFilterSet):
    q = filters.CharFilter(method=search_filter("name", "description"), label="Search")
    ordering = filters.OrderingFilter(fields=(("order", "order"), ("name", "name")))

    class Meta:
        model = Collection
        fields = ["slug"]


class DatasetFilterSet(StrictFilterSet):
    q = filters.CharFilter(
        method=search_filter("accession", "title", "description"), label="Search"
    )
    collection = filters.CharFilter(field_name="collection__slug", label="Collection (slug)")
    organism = filters.CharFilter(
        field_name="organism__name", lookup_expr="iexact", label="Organism (scientific name)"
    )
    platform = filters.CharFilter(
        field_name="platform__accession", lookup_expr="iexact", label="Platform (accession)"
    )
    data_type = filters.ChoiceFilter(choices=DataType.choices, label="Data type")
    min_samples = filters.NumberFilter(
        field_name="n_samples", lookup_expr="gte", label="At least this many samples"
    )
    ordering = filters.OrderingFilter(
        fields=(
            ("accession", "accession"),
            ("title", "title"),
            ("n_samples", "n_samples"),
            ("created", "created"),
        )
    )

    class Meta:
        model = Dataset
        fields = ["accession"]


class SampleFilterSet(StrictFilterSet):
    """Samples of one dataset; ``meta=key:value`` (repeatable) filters on any metadata field."""

    q = filters.CharFilter(method="search", label="Search name and metadata")
    meta = KeyValueFilter(
        field_name="metadata",
        label="Metadata key:value (repeatable, all must match), e.g. cell_type:A549-ACE2",
    )
    name = filters.CharFilter(lookup_expr="iexact")
    ordering = filters.OrderingFilter(fields=(("position", "position"), ("name", "name")))

    class Meta:
        model = Sample
        fields = ["name"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        queryset = queryset.alias(_metadata_text=Cast("metadata", CharField()))
        for term in value.split():
            queryset = queryset.filter(Q(name__icontains=term) | Q(_metadata_text__icontains=term))
        return queryset
