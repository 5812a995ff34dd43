from django.urls import path

from signatures import views

app_name = "signatures"
urlpatterns = [
    path("libraries/", views.library_list, name="library-list"),
    path("libraries/<slug:slug>/", views.library_detail, name="library-detail"),
    path("signatures/", views.signature_list, name="signature-list"),
    path("signatures/<str:accession>/", views.signature_detail, name="signature-detail"),
    path("perturbagens/", views.perturbagen_list, name="perturbagen-list"),
    path("perturbagens/<str:accession>/", views.perturbagen_detail, name="perturbagen-detail"),
    path("genes/", views.gene_list, name="gene-list"),
    path("genes/<int:entrez_id>/", views.gene_detail, name="gene-detail"),
    path("genesets/", views.geneset_library_list, name="geneset-library-list"),
    path("genesets/<slug:slug>/", views.geneset_library_detail, name="geneset-library-detail"),
]
