from rest_framework.routers import DefaultRouter

from analysis.runs.api.views import AnalysisRunViewSet

router = DefaultRouter(trailing_slash=True)
router.register("analyses", AnalysisRunViewSet, basename="api-analysis")
urlpatterns = router.urls
