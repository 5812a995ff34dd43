from django.urls import path

from analysis.build import views

urlpatterns = [
    path("datasets/<str:accession>/build/", views.build_page, name="build"),
    path("datasets/<str:accession>/build/groups/", views.build_groups, name="build-groups"),
]
