from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class RunKind(models.TextChoices):
    CONNECTIVITY = "connectivity", "Connectivity query"
    BUILD_SIGNATURE = "build_signature", "Build signature from dataset"
    ENRICHMENT = "enrichment", "Enrichment"
    GSEA = "gsea", "Preranked GSEA"
    MOA_GENETIC = "moa_genetic", "MoA via knock-down signatures"
    MOA_TARGETS = "moa_targets", "MoA via targets of connected compounds"
    SIGNATURE_GROUP = "signature_group", "Signature group analysis"
    PRECOMPUTE = "precompute", "Precompute connections"
