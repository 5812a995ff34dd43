from django.urls import path

from analysis.connectivity import views

urlpatterns = [
    path("query/", views.query_page, name="query"),
    path("query/recognise/", views.query_recognise, name="query-recognise"),
]
