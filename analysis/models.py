"""Background analyses and their reproducibility record."""

from django.conf import settings
from django.db import models

from analysis.choices import RunKind, RunStatus


class AnalysisRun(models.Model):
    """One analysis: its parameters, progress, outcome and result files."""

    kind = models.CharField(max_length=30, choices=RunKind.choices)
    params = models.JSONField(default=dict)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="analysis_runs",
    )
    is_public = models.BooleanField(default=False)
    library_version = models.CharField(max_length=64, blank=True)
    input_checksum = models.CharField(max_length=64, blank=True)
    software_version = models.CharField(max_length=40, blank=True)
    result_dir = models.CharField(max_length=500, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "analysis run"
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "heartbeat"], name="run_status_heartbeat")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
