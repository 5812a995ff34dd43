from django.urls import path

from analysis.runs import views

urlpatterns = [
    path("runs/", views.run_list, name="run-list"),
    path("runs/<int:run_id>/", views.run_detail, name="run-detail"),
    path("runs/<int:run_id>/cancel/", views.run_cancel, name="run-cancel"),
    path("runs/<int:run_id>/again/", views.run_again, name="run-again"),
    path(
        "runs/<int:run_id>/files/<slug:name>.<slug:fmt>",
        views.run_table_file,
        name="run-table-file",
    ),
]
