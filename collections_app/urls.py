from django.urls import path

from collections_app import views

app_name = "collections_app"
urlpatterns = [
    path("my/collections/", views.my_collections, name="my-collections"),
    path("my/collections/add/", views.collection_add, name="collection-add"),
    path("my/collections/<int:pk>/", views.my_collection_detail, name="my-collection-detail"),
    path("my/collections/<int:pk>/remove/", views.collection_remove, name="collection-remove"),
    path("my/collections/<int:pk>/share/", views.collection_share, name="collection-share"),
    path("shared/<str:token>/", views.shared_collection, name="shared-collection"),
]
