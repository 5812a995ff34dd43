from django.urls import path

from analysis import views, views_interpret, views_tutorials, views_workflows

app_name = "analysis"
urlpatterns = [
    path("runs/", views.run_list, name="run-list"),
    path("runs/<int:run_id>/", views.run_detail, name="run-detail"),
    path("runs/<int:run_id>/cancel/", views.run_cancel, name="run-cancel"),
    path("runs/<int:run_id>/again/", views.run_again, name="run-again"),
    path(
        "runs/<int:run_id>/files/<slug:name>.<slug:fmt>",
        views_workflows.run_table_file,
        name="run-table-file",
    ),
    path("query/", views_workflows.query_page, name="query"),
    path("query/recognise/", views_workflows.query_recognise, name="query-recognise"),
    path("datasets/<str:accession>/build/", views_workflows.build_page, name="build"),
    path(
        "datasets/<str:accession>/build/groups/",
        views_workflows.build_groups,
        name="build-groups",
    ),
    # interpretation (issue 7): launch buttons, pathway page, gene network, group analysis
    path("interpret/launch/", views_interpret.interpret_launch, name="interpret-launch"),
    path("pathways/<slug:slug>/", views_interpret.pathway_detail, name="pathway-detail"),
    path(
        "signatures/<str:accession>/network/",
        views_interpret.signature_network,
        name="signature-network",
    ),
    path("group-analysis/", views_interpret.group_analysis, name="group-analysis"),
    path(
        "perturbagens/<str:accession>/connections/",
        views_interpret.perturbagen_connections,
        name="perturbagen-connections",
    ),
    # the paper's use cases as tutorials (issue 9)
    path("tutorials/", views_tutorials.tutorial_list, name="tutorial-list"),
    path("tutorials/<slug:slug>/", views_tutorials.tutorial_detail, name="tutorial-detail"),
    path(
        "tutorials/<slug:slug>/steps/<slug:key>/",
        views_tutorials.tutorial_step,
        name="tutorial-step",
    ),
    path(
        "tutorials/<slug:slug>/concordance/",
        views_tutorials.tutorial_concordance,
        name="tutorial-concordance",
    ),
]
