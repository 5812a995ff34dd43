"""Staff allowed to view runs see every run in the admin, read-only, and can cancel active
ones; other staff get 403, other users the login page."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from analysis.choices import RunStatus
from analysis.models import AnalysisRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs():
    owner = get_user_model().objects.create_user("owner-admin-runs")
    return [
        AnalysisRun.objects.create(kind="connectivity", owner=owner, status=status)
        for status in (RunStatus.QUEUED, RunStatus.SUCCEEDED)
    ]


def _staff(name: str, *, may_view: bool = True):
    user = get_user_model().objects.create_user(name, is_staff=True)
    if may_view:
        user.user_permissions.add(Permission.objects.get(codename="view_analysisrun"))
    return user


def test_staff_see_every_run_in_the_admin(client, runs):
    client.force_login(_staff("staff-runs"))
    page = client.get("/admin/analysis/analysisrun/")
    assert page.status_code == 200
    assert page.content.count(b"owner-admin-runs") >= 2
    assert client.get(f"/admin/analysis/analysisrun/{runs[0].pk}/change/").status_code == 200
    assert client.get("/admin/analysis/analysisrun/add/").status_code == 403


def test_staff_can_cancel_active_runs_from_the_list(client, runs):
    client.force_login(_staff("staff-cancel"))
    client.post(
        "/admin/analysis/analysisrun/",
        {"action": "cancel_runs", "_selected_action": [r.pk for r in runs]},
    )
    statuses = sorted(AnalysisRun.objects.values_list("status", flat=True))
    assert statuses == [RunStatus.CANCELLED, RunStatus.SUCCEEDED]


def test_a_registered_user_cannot_open_the_runs_admin(client, runs):
    client.force_login(get_user_model().objects.create_user("plain-user"))
    assert client.get("/admin/analysis/analysisrun/").status_code == 302  # to the admin login


def test_staff_without_the_view_permission_get_403(client, runs):
    client.force_login(_staff("staff-no-runs", may_view=False))
    assert client.get("/admin/analysis/analysisrun/").status_code == 403
