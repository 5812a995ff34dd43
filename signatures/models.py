"""Genes, perturbagens, signature libraries, signatures and gene-set libraries.

Signature *values* are not rows: they live in per-library matrix files reached only through
``signatures.io``.
"""

from django.conf import settings
from django.db import models

from catalog.models import CellLine, Collection, Dataset, Organism
from signatures.choices import GeneSpace, LibraryKind, PerturbagenKind, ScoreKind


class Gene(models.Model):
    """A gene, keyed by its Entrez id."""

    entrez_id = models.PositiveBigIntegerField(unique=True)
    symbol = models.CharField(max_length=60, db_index=True)
    name = models.CharField(max_length=500, blank=True)
    gene_type = models.CharField(max_length=60, blank=True)
    cytoband = models.CharField(max_length=60, blank=True)
    synonyms = models.JSONField(default=list, blank=True)
    ensembl_ids = models.JSONField(default=list, blank=True)
    organism = models.ForeignKey(
        Organism, null=True, blank=True, on_delete=models.PROTECT, related_name="genes"
    )
    is_landmark = models.BooleanField("L1000 landmark", default=False)
    is_inferred = models.BooleanField("L1000 best inferred", default=False)
    is_lincs = models.BooleanField("in the LINCS gene space", default=False)

    class Meta:
        verbose_name = "gene"
        ordering = ["symbol"]

    def __str__(self) -> str:
        return self.symbol


class Perturbagen(models.Model):
    """A compound or genetic perturbation, with its annotations."""

    accession = models.CharField(
        max_length=60, unique=True, help_text="LINCS pert_id (BRD-…) or a stable local id."
    )
    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=20, choices=PerturbagenKind.choices)
    target_gene = models.ForeignKey(
        Gene,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="genetic_perturbagens",
        help_text="For genetic perturbagens, the gene knocked down / over-expressed.",
    )
    synonyms = models.JSONField(default=list, blank=True)
    pubchem_cid = models.CharField(max_length=30, blank=True)
    chembl_id = models.CharField(max_length=30, blank=True)
    drugbank_id = models.CharField(max_length=30, blank=True)
    inchi_key = models.CharField(max_length=40, blank=True)
    smiles = models.TextField(blank=True)
    moa = models.JSONField("mechanisms of action", default=list, blank=True)
    targets = models.JSONField("target gene symbols", default=list, blank=True)
    clinical_phase = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = "perturbagen"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SignatureLibrary(models.Model):
    """A set of signatures stored together as matrix files (genes × signatures)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=LibraryKind.choices, default=LibraryKind.OTHER)
    gene_space = models.CharField(
        max_length=20, choices=GeneSpace.choices, default=GeneSpace.LANDMARK
    )
    score_kind = models.CharField(max_length=10, choices=ScoreKind.choices, default=ScoreKind.LOGFC)
    organism = models.ForeignKey(
        Organism, null=True, blank=True, on_delete=models.PROTECT, related_name="libraries"
    )
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="libraries"
    )
    version = models.CharField(
        max_length=64, blank=True, help_text="Content hash of the stored matrices."
    )
    n_signatures = models.PositiveIntegerField("signatures", default=0)
    n_genes = models.PositiveIntegerField("genes", default=0)
    has_pvalues = models.BooleanField(default=False)
    provenance = models.TextField(blank=True)
    source_checksum = models.CharField(
        max_length=64, blank=True, help_text="Hash of the imported files and options."
    )
    is_public = models.BooleanField("published", default=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "signature library"
        verbose_name_plural = "signature libraries"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Signature(models.Model):
    """One signature of a library: its perturbation, context and column in the matrices."""

    accession = models.CharField(max_length=120, unique=True)
    library = models.ForeignKey(
        SignatureLibrary, on_delete=models.CASCADE, related_name="signatures"
    )
    column = models.PositiveIntegerField(help_text="Column index in the library matrices.")
    perturbagen = models.ForeignKey(
        Perturbagen, null=True, blank=True, on_delete=models.SET_NULL, related_name="signatures"
    )
    cell_line = models.ForeignKey(
        CellLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="signatures"
    )
    dose = models.FloatField(null=True, blank=True)
    dose_unit = models.CharField(max_length=20, blank=True)
    time = models.FloatField(null=True, blank=True)
    time_unit = models.CharField(max_length=20, blank=True)
    source_dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="signatures"
    )
    treatment_description = models.CharField(max_length=500, blank=True)
    baseline_description = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    n_genes = models.PositiveIntegerField("genes", default=0)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "signature"
        ordering = ["library", "column"]
        constraints = [
            models.UniqueConstraint(fields=["library", "column"], name="signature_unique_column"),
        ]

    def __str__(self) -> str:
        return self.accession


class GeneSetLibrary(models.Model):
    """A GMT library of gene sets (Hallmark, KEGG, Reactome, GO BP, ...)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    provenance = models.TextField(blank=True)
    n_sets = models.PositiveIntegerField("gene sets", default=0)

    class Meta:
        verbose_name = "gene-set library"
        verbose_name_plural = "gene-set libraries"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GeneSet(models.Model):
    """One gene set: a name, a link and its member gene symbols."""

    library = models.ForeignKey(GeneSetLibrary, on_delete=models.CASCADE, related_name="gene_sets")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    genes = models.JSONField("member gene symbols", default=list)
    size = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "gene set"
        ordering = ["library", "name"]
        constraints = [
            models.UniqueConstraint(fields=["library", "name"], name="geneset_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class SignatureUpload(models.Model):
    """A user's uploaded signature; its values are stored in a file (private by default)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signature_uploads",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, default="full")
    file = models.CharField(max_length=500)
    checksum = models.CharField(max_length=64)
    n_genes = models.PositiveIntegerField(default=0)
    is_public = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "uploaded signature"
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.name
