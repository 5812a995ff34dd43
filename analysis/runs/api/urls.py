from django.urls import path
from rest_framework.routers import DefaultRouter

from analysis.api.connectivity import ConnectivityView, SignatureConnectionsView
from analysis.api.views import AnalysisRunViewSet

router = DefaultRouter(trailing_slash=True)
router.register("analyses", AnalysisRunViewSet, basename="api-analysis")
urlpatterns = [
    path("connectivity/", ConnectivityView.as_view(), name="api-connectivity"),
    path(
        "signatures/<str:accession>/connections/",
        SignatureConnectionsView.as_view(),
        name="api-signature-connections",
    ),
    *router.urls,
]
