"""The analysis pages, one URL list per feature (all in the "analysis" namespace)."""

from analysis.build.urls import urlpatterns as build
from analysis.connectivity.urls import urlpatterns as connectivity
from analysis.interpret.urls import urlpatterns as interpret
from analysis.runs.urls import urlpatterns as runs
from analysis.tutorials.urls import urlpatterns as tutorials

app_name = "analysis"
urlpatterns = [*runs, *connectivity, *build, *interpret, *tutorials]
