"""Analysis runs in the admin: staff with the view permission on runs (superusers always) see
every run, read-only, and can cancel queued or running ones; runs are created by the portal,
never by hand."""

from __future__ import annotations

from django.contrib import admin, messages

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from analysis.runs.services import analysis_cancel


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "progress", "owner", "is_public", "created", "finished"]
    list_filter = ["kind", "status", "is_public"]
    search_fields = ["=pk", "owner__username", "error"]
    date_hierarchy = "created"
    ordering = ["-created"]
    list_select_related = ["owner"]
    actions = ["cancel_runs"]
    readonly_fields = [f.name for f in AnalysisRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return bool(request.user.is_superuser)

    @admin.action(description="Cancel the selected queued or running runs", permissions=["view"])
    def cancel_runs(self, request, queryset):
        active = queryset.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        for run in active:
            analysis_cancel(run=run)
        messages.info(request, f"{len(active)} run(s) cancelled.")
