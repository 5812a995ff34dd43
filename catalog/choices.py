from django.db import models


class DataType(models.TextChoices):
    MICROARRAY = "microarray", "Microarray"
    RNASEQ_COUNTS = "rnaseq_counts", "RNA-seq counts"
    RNASEQ_LOG = "rnaseq_log", "RNA-seq (log scale)"
    L1000 = "l1000", "L1000"
    PROTEOMICS = "proteomics", "Proteomics (RPPA / P100)"
    OTHER = "other", "Other"


class Scale(models.TextChoices):
    LOG = "log", "Log scale"
    COUNTS = "counts", "Raw counts"
    LINEAR = "linear", "Linear"
