"""Curator admin for the dataset catalogue, with the dataset-ingestion view."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from analysis.engine.formats import InputError
from catalog import services
from catalog.forms import DatasetIngestForm
from catalog.importers import align_samples
from catalog.models import CellLine, Collection, Dataset, Organism, Platform, Sample

PREVIEW_ROWS = 10


@admin.register(Organism)
class OrganismAdmin(admin.ModelAdmin):
    list_display = ["name", "common_name", "taxon_id"]
    search_fields = ["name", "common_name", "=taxon_id"]


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["accession", "title", "technology"]
    search_fields = ["accession", "title"]
    list_filter = ["technology"]


@admin.register(CellLine)
class CellLineAdmin(admin.ModelAdmin):
    list_display = ["name", "tissue", "disease", "organism"]
    search_fields = ["name", "tissue", "disease"]
    list_filter = ["organism"]


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "order"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


class SampleInline(admin.TabularInline):
    model = Sample
    fields = ["position", "name", "metadata"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    show_change_link = True
    can_delete = False


@admin.action(description="Publish selected datasets")
def publish(modeladmin, request, queryset):
    n = services.datasets_set_published(datasets=queryset, is_public=True)
    modeladmin.message_user(request, f"{n} dataset(s) published.")


@admin.action(description="Unpublish selected datasets")
def unpublish(modeladmin, request, queryset):
    n = services.datasets_set_published(datasets=queryset, is_public=False)
    modeladmin.message_user(request, f"{n} dataset(s) unpublished.")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["accession", "title", "collection", "organism", "data_type", "n_samples"]
    list_display += ["n_features", "is_public"]
    list_filter = ["is_public", "collection", "data_type", "organism", "scale"]
    search_fields = ["accession", "title", "description"]
    list_select_related = ["collection", "organism"]
    readonly_fields = ["n_samples", "n_features", "matrix_file", "checksum", "created", "updated"]
    raw_id_fields = ["owner"]
    actions = [publish, unpublish]
    inlines = [SampleInline]
    change_list_template = "admin/catalog/dataset/change_list.html"

    def get_urls(self):
        ingest = self.admin_site.admin_view(self.ingest_view)
        return [path("ingest/", ingest, name="catalog_dataset_ingest"), *super().get_urls()]

    def ingest_view(self, request):
        """Upload a matrix + sample table, preview the parsed shape and metadata, confirm."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "opts": self.model._meta}
        context["title"] = "Ingest a dataset"
        if request.method != "POST":
            return self._ingest_page(request, context, DatasetIngestForm())
        form = DatasetIngestForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._ingest_page(request, context, form)
        token = form.store_uploads()
        try:
            matrix, samples = form.parse(token)
            if "confirm" not in request.POST:
                preview = _preview(matrix, samples)
                data = {**request.POST.dict(), "token": token}
                return self._ingest_page(
                    request, context, DatasetIngestForm(initial=data), preview=preview
                )
            with transaction.atomic():
                report = services.dataset_import(
                    collection=form.collection_obj(),
                    matrix=matrix,
                    samples=samples,
                    owner=request.user,
                    **form.import_kwargs(),
                )
        except InputError as exc:
            form.discard(token)
            form.add_error(None, str(exc))
            return self._ingest_page(request, context, form)
        form.discard(token)
        messages.success(request, f"Dataset {report.obj} {report.status} ({report.detail}).")
        return redirect(reverse("admin:catalog_dataset_change", args=[report.obj.pk]))

    def _ingest_page(self, request, context, form, preview=None):
        context = {**context, "form": form, "preview": preview}
        return TemplateResponse(request, "admin/catalog/dataset/ingest.html", context)


def _preview(matrix, samples) -> dict:
    meta = align_samples(matrix, samples).head(PREVIEW_ROWS)
    values = matrix.values
    return {
        "shape": values.shape,
        "features": list(values.index[:5]),
        "columns": list(meta.columns),
        "rows": [(name, list(row)) for name, row in zip(meta.index, meta.to_numpy(), strict=True)],
        "missing": int(values.isna().to_numpy().sum()),
    }


@admin.register(Sample)
class SampleAdmin(admin.ModelAdmin):
    list_display = ["name", "dataset", "position"]
    list_filter = ["dataset__collection"]
    search_fields = ["name", "dataset__accession"]
    list_select_related = ["dataset"]
    raw_id_fields = ["dataset"]
