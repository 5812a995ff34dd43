from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("collections/", views.collection_list, name="collection-list"),
    path("collections/<slug:slug>/", views.collection_detail, name="collection-detail"),
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("datasets/<str:accession>/", views.dataset_detail, name="dataset-detail"),
]
