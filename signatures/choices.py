from django.db import models


class PerturbagenKind(models.TextChoices):
    COMPOUND = "compound", "Compound"
    KNOCKDOWN = "knockdown", "Knock-down (shRNA)"
    CONSENSUS_KNOCKDOWN = "cgs", "Consensus knock-down gene signature"
    OVEREXPRESSION = "overexpression", "Over-expression"
    CRISPR = "crispr", "CRISPR knock-out"
    LIGAND = "ligand", "Ligand"
    DISEASE = "disease", "Disease / other"


class LibraryKind(models.TextChoices):
    CHEMICAL = "chemical", "Chemical perturbagens"
    KNOCKDOWN = "knockdown", "Genetic knock-down"
    OVEREXPRESSION = "overexpression", "Over-expression"
    PROTEOMICS = "proteomics", "Proteomics"
    DISEASE = "disease", "Disease"
    CMAP = "cmap", "CMap-style"
    OTHER = "other", "Other"


class GeneSpace(models.TextChoices):
    LANDMARK = "landmark", "L1000 landmark (978)"
    BING = "bing", "L1000 best inferred"
    GENOME = "genome", "Genome-wide"
    PROTEIN = "protein", "Proteins / phosphosites"


class ScoreKind(models.TextChoices):
    LOGFC = "logfc", "log fold change"
    ZSCORE = "zscore", "z-score (MODZ / robust z)"
    DIFF = "diff", "difference of means"
