from django.urls import path

from analysis.connectivity.api.views import ConnectivityView, SignatureConnectionsView

urlpatterns = [
    path("connectivity/", ConnectivityView.as_view(), name="api-connectivity"),
    path(
        "signatures/<str:accession>/connections/",
        SignatureConnectionsView.as_view(),
        name="api-signature-connections",
    ),
]
