"""The dataset catalogue: organisms, platforms, cell lines, collections, datasets, samples."""

from django.conf import settings
from django.db import models

from catalog.choices import DataType, Scale


class Organism(models.Model):
    """A species, e.g. Homo sapiens (taxon 9606)."""

    name = models.CharField("scientific name", max_length=100, unique=True)
    common_name = models.CharField(max_length=100, blank=True)
    taxon_id = models.PositiveIntegerField("NCBI taxon id", unique=True)

    class Meta:
        verbose_name = "organism"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Platform(models.Model):
    """A measurement platform (GPL accession, L1000, RNA-seq, RPPA)."""

    accession = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=255, blank=True)
    technology = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = "platform"
        ordering = ["accession"]

    def __str__(self) -> str:
        return self.accession


class CellLine(models.Model):
    """A cell line (LINCS cell_id), with tissue and disease where known."""

    name = models.CharField(max_length=100, unique=True)
    tissue = models.CharField(max_length=200, blank=True)
    disease = models.CharField(max_length=200, blank=True)
    organism = models.ForeignKey(
        Organism, null=True, blank=True, on_delete=models.PROTECT, related_name="cell_lines"
    )
    description = models.TextField(blank=True)

    class Meta:
        verbose_name = "cell line"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Collection(models.Model):
    """A curated group of datasets and libraries (LINCS, TCGA, GEO, ...)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name = "collection"
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class PublicDatasetManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(is_public=True)


class Dataset(models.Model):
    """An expression matrix with sample metadata; the values live in a file in the data dir."""

    accession = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="datasets")
    organism = models.ForeignKey(
        Organism, null=True, blank=True, on_delete=models.PROTECT, related_name="datasets"
    )
    platform = models.ForeignKey(
        Platform, null=True, blank=True, on_delete=models.PROTECT, related_name="datasets"
    )
    data_type = models.CharField(max_length=20, choices=DataType.choices, default=DataType.OTHER)
    scale = models.CharField(max_length=10, choices=Scale.choices, default=Scale.LOG)
    n_samples = models.PositiveIntegerField("samples", default=0)
    n_features = models.PositiveIntegerField("features", default=0)
    feature_kind = models.CharField(
        max_length=30, default="gene", help_text="What a row is: gene, probe, protein, miRNA."
    )
    source_url = models.URLField(max_length=500, blank=True)
    provenance = models.TextField(blank=True)
    matrix_file = models.CharField(max_length=500, blank=True, help_text="Path in the data dir.")
    checksum = models.CharField(max_length=64, blank=True)
    is_public = models.BooleanField("published", default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="datasets",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = models.Manager()
    public = PublicDatasetManager()

    class Meta:
        verbose_name = "dataset"
        ordering = ["accession"]

    def __str__(self) -> str:
        return self.accession


class Sample(models.Model):
    """One column of a dataset, with its metadata as a JSON object of strings."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="samples")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(help_text="Column index in the dataset matrix.")
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "sample"
        ordering = ["dataset", "position"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="sample_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.dataset.accession}:{self.name}"
