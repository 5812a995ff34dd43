"""Curator admin for genes, perturbagens, signature libraries, signatures and gene sets."""

from django.contrib import admin

from signatures import services
from signatures.models import (
    Gene,
    GeneSet,
    GeneSetLibrary,
    Perturbagen,
    Signature,
    SignatureLibrary,
    SignatureUpload,
)


@admin.register(Gene)
class GeneAdmin(admin.ModelAdmin):
    list_display = ["symbol", "entrez_id", "name", "gene_type", "is_landmark", "is_inferred"]
    list_filter = ["is_landmark", "is_inferred", "is_lincs", "gene_type"]
    search_fields = ["symbol", "=entrez_id", "name"]


@admin.register(Perturbagen)
class PerturbagenAdmin(admin.ModelAdmin):
    list_display = ["name", "accession", "kind", "clinical_phase", "inchi_key"]
    list_filter = ["kind", "clinical_phase"]
    search_fields = ["name", "accession", "inchi_key", "chembl_id", "drugbank_id", "pubchem_cid"]
    raw_id_fields = ["target_gene"]


@admin.action(description="Publish selected libraries")
def publish(modeladmin, request, queryset):
    n = services.libraries_set_published(libraries=queryset, is_public=True)
    modeladmin.message_user(request, f"{n} library(ies) published.")


@admin.action(description="Unpublish selected libraries")
def unpublish(modeladmin, request, queryset):
    n = services.libraries_set_published(libraries=queryset, is_public=False)
    modeladmin.message_user(request, f"{n} library(ies) unpublished.")


@admin.register(SignatureLibrary)
class SignatureLibraryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "gene_space", "n_signatures", "n_genes", "version"]
    list_display += ["is_public"]
    list_filter = ["is_public", "kind", "gene_space", "score_kind", "collection"]
    search_fields = ["name", "slug", "description"]
    readonly_fields = ["version", "n_signatures", "n_genes", "has_pvalues", "source_checksum"]
    readonly_fields += ["created", "updated"]
    actions = [publish, unpublish]


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["accession", "library", "perturbagen", "cell_line", "dose", "dose_unit"]
    list_display += ["time", "time_unit", "n_genes"]
    list_filter = ["library", "time_unit", "dose_unit", "perturbagen__kind"]
    search_fields = ["accession", "perturbagen__name", "cell_line__name", "description"]
    list_select_related = ["library", "perturbagen", "cell_line"]
    raw_id_fields = ["perturbagen", "cell_line", "source_dataset", "library"]


@admin.register(GeneSetLibrary)
class GeneSetLibraryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "n_sets"]
    search_fields = ["name", "slug", "description"]


@admin.register(GeneSet)
class GeneSetAdmin(admin.ModelAdmin):
    list_display = ["name", "library", "size"]
    list_filter = ["library"]
    search_fields = ["name", "description"]
    list_select_related = ["library"]


@admin.register(SignatureUpload)
class SignatureUploadAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "kind", "n_genes", "is_public", "created"]
    list_filter = ["kind", "is_public"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
