from django.urls import path
from rest_framework.routers import DefaultRouter

from catalog.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("collections", views.CollectionViewSet, basename="collection")
router.register("datasets", views.DatasetViewSet, basename="dataset")

urlpatterns = [
    path(
        "datasets/<str:accession>/samples/",
        views.DatasetSampleList.as_view(),
        name="dataset-samples",
    ),
    *router.urls,
]
