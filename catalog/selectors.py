"""Read-side queries of the catalogue: what a user may see, with counts and links."""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from catalog.models import Collection, Dataset, Sample

GEO_SERIES_URL = "https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi?acc={}"
GEO_PLATFORM_URL = "https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi?acc={}"
MAX_SELECT_CHOICES = 200


def _is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def dataset_visible(*, user) -> QuerySet[Dataset]:
    """Datasets ``user`` may see: published ones, their own, or all of them for staff."""
    if _is_staff(user):
        return Dataset.objects.all()
    if user is not None and user.is_authenticated:
        return Dataset.objects.filter(Q(is_public=True) | Q(owner=user))
    return Dataset.objects.filter(is_public=True)


def dataset_list(*, user) -> QuerySet[Dataset]:
    return dataset_visible(user=user).select_related("collection", "organism", "platform")


def collection_list(*, user) -> QuerySet[Collection]:
    """Collections with the number of visible datasets, libraries and signatures in each."""
    datasets = (
        dataset_visible(user=user)
        .filter(collection=OuterRef("pk"))
        .order_by()
        .values("collection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    library_model = Collection._meta.get_field("libraries").related_model
    libraries = library_model.objects.filter(collection=OuterRef("pk")).order_by()
    if not _is_staff(user):
        libraries = libraries.filter(is_public=True)
    library_counts = libraries.values("collection").annotate(n=Count("pk")).values("n")
    signature_counts = libraries.values("collection").annotate(n=Sum("n_signatures")).values("n")
    return Collection.objects.annotate(
        n_datasets=Coalesce(Subquery(datasets, output_field=IntegerField()), 0),
        n_libraries=Coalesce(Subquery(library_counts, output_field=IntegerField()), 0),
        n_signatures=Coalesce(Subquery(signature_counts, output_field=IntegerField()), 0),
    )


def sample_list(*, dataset: Dataset) -> QuerySet[Sample]:
    return Sample.objects.filter(dataset=dataset).order_by("position")


@dataclass(frozen=True)
class MetadataField:
    """One sample-metadata key of a dataset and its distinct values (``None``: too many)."""

    key: str
    values: tuple[str, ...] | None


def sample_metadata_fields(*, dataset: Dataset) -> list[MetadataField]:
    """The union of metadata keys over a dataset's samples, in first-seen order."""
    seen: dict[str, set[str]] = {}
    for metadata in Sample.objects.filter(dataset=dataset).values_list("metadata", flat=True):
        for key, value in (metadata or {}).items():
            seen.setdefault(key, set()).add("" if value is None else str(value))
    return [
        MetadataField(key, tuple(sorted(values)) if len(values) <= MAX_SELECT_CHOICES else None)
        for key, values in seen.items()
    ]


def dataset_links(*, dataset: Dataset) -> list[tuple[str, str]]:
    """Outbound links to where the dataset comes from."""
    links = []
    if dataset.source_url:
        links.append(("Source", dataset.source_url))
    accession = dataset.accession.upper()
    if accession.startswith(("GSE", "GDS")):
        links.append(("GEO", GEO_SERIES_URL.format(dataset.accession)))
    if dataset.platform and dataset.platform.accession.upper().startswith("GPL"):
        links.append(("GEO platform", GEO_PLATFORM_URL.format(dataset.platform.accession)))
    return links
