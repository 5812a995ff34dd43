from django.urls import path

from analysis.interpret import views

urlpatterns = [
    path("interpret/launch/", views.interpret_launch, name="interpret-launch"),
    path("pathways/<slug:slug>/", views.pathway_detail, name="pathway-detail"),
    path("signatures/<str:accession>/network/", views.signature_network, name="signature-network"),
    path("group-analysis/", views.group_analysis, name="group-analysis"),
    path(
        "perturbagens/<str:accession>/connections/",
        views.perturbagen_connections,
        name="perturbagen-connections",
    ),
]
