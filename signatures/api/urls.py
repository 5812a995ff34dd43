from django.urls import path
from rest_framework.routers import DefaultRouter

from signatures.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("libraries", views.SignatureLibraryViewSet, basename="library")
router.register("signatures", views.SignatureViewSet, basename="signature")
router.register("perturbagens", views.PerturbagenViewSet, basename="perturbagen")
router.register("genes", views.GeneViewSet, basename="gene")
router.register("genesets", views.GeneSetLibraryViewSet, basename="genesetlibrary")

urlpatterns = [
    path("genesets/<slug:slug>/sets/", views.GeneSetList.as_view(), name="geneset-list"),
    *router.urls,
]
