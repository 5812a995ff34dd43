from django.urls import path

from analysis.tutorials import views

urlpatterns = [
    path("tutorials/", views.tutorial_list, name="tutorial-list"),
    path("tutorials/<slug:slug>/", views.tutorial_detail, name="tutorial-detail"),
    path("tutorials/<slug:slug>/steps/<slug:key>/", views.tutorial_step, name="tutorial-step"),
    path(
        "tutorials/<slug:slug>/concordance/",
        views.tutorial_concordance,
        name="tutorial-concordance",
    ),
]
