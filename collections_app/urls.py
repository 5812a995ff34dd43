from django.urls import path

from collections_app import views

app_name = "collections_app"
urlpatterns = [
    path("my/collections/", views.my_collections, name="my-collections"),
    path("my/collections/<int:pk>/", views.my_collection_detail, name="my-collection-detail"),
    path("shared/<str:token>/", views.shared_collection, name="shared-collection"),
]
