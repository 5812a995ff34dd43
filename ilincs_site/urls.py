"""URL map: the HTML portal at /, the REST API at /api/v1/, the curator admin at /admin/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from ilincs_site import views
from ilincs_site.api import api_root

api_v1 = [
    path("", api_root, name="api-root"),
    # analyses first: the connectivity endpoint is the hot path (~60 patterns follow)
    path("", include("analysis.connectivity.api.urls")),
    path("", include("analysis.runs.api.urls")),
    path("", include("catalog.api.urls")),
    path("", include("signatures.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves its start-up script as a file (no inline script under the CSP)
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("search/", views.search, name="search"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include(api_v1)),
    path("", include("catalog.urls")),
    path("", include("signatures.urls")),
    path("", include("analysis.urls")),
    path("", include("collections_app.urls")),
]

# JSON under /api/ (as DRF answers its own errors), the HTML pages elsewhere
handler400 = "ilincs_site.views.bad_request"
handler403 = "ilincs_site.views.permission_denied"
handler404 = "ilincs_site.views.page_not_found"
handler500 = "ilincs_site.views.server_error"
