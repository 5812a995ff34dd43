"""FilterSets of libraries, signatures, perturbagens, genes and gene sets."""

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django_filters import rest_framework as filters

from ilincs_site.filters import StrictFilterSet, search_filter
from signatures.choices import GeneSpace, LibraryKind, PerturbagenKind, ScoreKind
from signatures.models import (
    Gene,
    GeneSet,
    GeneSetLibrary,
    Perturbagen,
    Signature,
    SignatureLibrary,
)


def _json_text_contains(field: str):
    """A filter method: ``value`` occurs (case-insensitive) in the text of a JSON list field."""

    def method(queryset: QuerySet, name: str, value: str) -> QuerySet:
        alias = f"_{field}_text"
        return queryset.alias(**{alias: Cast(field, CharField())}).filter(
            **{f"{alias}__icontains": value}
        )

    return method


class SignatureLibraryFilterSet(StrictFilterSet):
    q = filters.CharFilter(method=search_filter("slug", "name", "description"), label="Search")
    kind = filters.ChoiceFilter(choices=LibraryKind.choices)
    gene_space = filters.ChoiceFilter(choices=GeneSpace.choices)
    score_kind = filters.ChoiceFilter(choices=ScoreKind.choices)
    collection = filters.CharFilter(field_name="collection__slug", label="Collection (slug)")
    organism = filters.CharFilter(field_name="organism__name", lookup_expr="iexact")
    ordering = filters.OrderingFilter(
        fields=(("name", "name"), ("n_signatures", "n_signatures"), ("created", "created"))
    )

    class Meta:
        model = SignatureLibrary
        fields = ["slug"]


class SignatureFilterSet(StrictFilterSet):
    """Signatures by perturbagen, cell line, dose, time, library and free text (``q``)."""

    q = filters.CharFilter(
        method=search_filter(
            "accession",
            "perturbagen__name",
            "perturbagen__accession",
            "cell_line__name",
            "description",
            "treatment_description",
        ),
        label="Search",
    )
    library = filters.CharFilter(field_name="library__slug", label="Library (slug)")
    perturbagen = filters.CharFilter(
        method="filter_perturbagen", label="Perturbagen (name or accession)"
    )
    perturbagen_kind = filters.ChoiceFilter(
        field_name="perturbagen__kind", choices=PerturbagenKind.choices
    )
    cell_line = filters.CharFilter(field_name="cell_line__name", lookup_expr="iexact")
    dose = filters.NumberFilter()
    dose_min = filters.NumberFilter(field_name="dose", lookup_expr="gte")
    dose_max = filters.NumberFilter(field_name="dose", lookup_expr="lte")
    dose_unit = filters.CharFilter(lookup_expr="iexact")
    time = filters.NumberFilter()
    time_unit = filters.CharFilter(lookup_expr="iexact")
    source_dataset = filters.CharFilter(
        field_name="source_dataset__accession", label="Source dataset (accession)"
    )
    ordering = filters.OrderingFilter(
        fields=(
            ("accession", "accession"),
            ("perturbagen__name", "perturbagen"),
            ("cell_line__name", "cell_line"),
            ("dose", "dose"),
            ("time", "time"),
            ("library__name", "library"),
        )
    )

    class Meta:
        model = Signature
        fields = ["accession"]

    def filter_perturbagen(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(perturbagen__accession=value) | Q(perturbagen__name__iexact=value))


class PerturbagenFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", label="Search names, ids and synonyms")
    kind = filters.ChoiceFilter(choices=PerturbagenKind.choices)
    moa = filters.CharFilter(
        method=_json_text_contains("moa"), label="Mechanism of action contains"
    )
    target = filters.CharFilter(
        method=_json_text_contains("targets"), label="Target gene symbol contains"
    )
    inchi_key = filters.CharFilter()
    pubchem_cid = filters.CharFilter()
    has_signatures = filters.BooleanFilter(
        method="filter_has_signatures", label="Has signatures in a visible library"
    )
    ordering = filters.OrderingFilter(
        fields=(("name", "name"), ("accession", "accession"), ("n_signatures", "n_signatures"))
    )

    class Meta:
        model = Perturbagen
        fields = ["accession"]

    def filter_has_signatures(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        # Needs the ``n_signatures`` annotation of ``selectors.perturbagen_list``.
        return queryset.filter(n_signatures__gt=0) if value else queryset.filter(n_signatures=0)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        queryset = queryset.alias(_synonyms_text=Cast("synonyms", CharField()))
        return queryset.filter(
            Q(name__icontains=value)
            | Q(accession__icontains=value)
            | Q(_synonyms_text__icontains=value)
            | Q(inchi_key=value)
            | Q(pubchem_cid=value)
        )


class GeneFilterSet(StrictFilterSet):
    q = filters.CharFilter(method="search", label="Search symbol, name and synonyms")
    symbol = filters.CharFilter(lookup_expr="iexact")
    is_landmark = filters.BooleanFilter()
    is_inferred = filters.BooleanFilter()
    is_lincs = filters.BooleanFilter()
    ordering = filters.OrderingFilter(fields=(("symbol", "symbol"), ("entrez_id", "entrez_id")))

    class Meta:
        model = Gene
        fields = ["entrez_id"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        queryset = queryset.alias(_synonyms_text=Cast("synonyms", CharField()))
        condition = (
            Q(symbol__iexact=value)
            | Q(symbol__istartswith=value)
            | Q(name__icontains=value)
            | Q(_synonyms_text__icontains=f'"{value}"')
        )
        if value.isascii() and value.isdigit() and len(value) <= 18:  # int("²") fails
            condition |= Q(entrez_id=int(value))
        return queryset.filter(condition)


class GeneSetLibraryFilterSet(StrictFilterSet):
    q = filters.CharFilter(method=search_filter("slug", "name", "description"), label="Search")
    ordering = filters.OrderingFilter(fields=(("name", "name"), ("n_sets", "n_sets")))

    class Meta:
        model = GeneSetLibrary
        fields = ["slug"]


class GeneSetFilterSet(StrictFilterSet):
    q = filters.CharFilter(method=search_filter("name", "description"), label="Search")
    gene = filters.CharFilter(method="filter_gene", label="Contains this gene symbol")
    min_size = filters.NumberFilter(field_name="size", lookup_expr="gte")
    max_size = filters.NumberFilter(field_name="size", lookup_expr="lte")
    ordering = filters.OrderingFilter(fields=(("name", "name"), ("size", "size")))

    class Meta:
        model = GeneSet
        fields = ["name"]

    def filter_gene(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Members are stored as a JSON list of symbols; match one whole quoted symbol.
        queryset = queryset.alias(_genes_text=Cast("genes", CharField()))
        return queryset.filter(_genes_text__icontains=f'"{value.strip()}"')
