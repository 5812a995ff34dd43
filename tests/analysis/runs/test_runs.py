"""Analysis runs: submit, execute in the (synchronous) queue, progress, failure, cancel, reap."""

from datetime import timedelta

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from analysis.runs import registry as runners
from analysis.runs.registry import RunInputError, RunResult
from analysis.runs.services import (
    analysis_cancel,
    analysis_execute,
    analysis_submit,
    runs_reap_stale,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def toy_kind(monkeypatch):
    """A registered kind whose behaviour each test chooses through params."""
    seen = []

    def validate(params):
        if "n" not in params:
            raise RunInputError("params.n is required")
        return params

    def run(params, progress):
        progress(50, "half way")
        seen.append(params)
        if params.get("crash"):
            raise ZeroDivisionError("boom")
        if params.get("bad"):
            raise RunInputError("the dataset has no sample group 'x'")
        table = pd.DataFrame({"gene": ["A", "B", "C"], "score": [1.5, float("nan"), float("inf")]})
        return RunResult(tables={"scores": table}, summary={"n": params["n"]}, library_version="v1")

    monkeypatch.setitem(runners._RUNNERS, "connectivity", run)
    monkeypatch.setitem(runners._VALIDATORS, "connectivity", validate)
    return seen


@pytest.fixture
def user():
    return get_user_model().objects.create_user("ann", password="pw-ann-123456")


def test_a_submitted_run_executes_and_stores_its_tables(toy_kind, user):
    run = analysis_submit(user=user, kind="connectivity", params={"n": 3})
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.progress == 100
    assert run.summary["n"] == 3
    assert run.library_version == "v1"
    assert (run.started is not None) and (run.finished is not None)
    assert pd.read_csv(f"{run.result_dir}/scores.tsv", sep="\t")["gene"].tolist() == ["A", "B", "C"]


def test_it_rejects_bad_parameters_before_creating_a_run(toy_kind, user):
    with pytest.raises(RunInputError, match="params.n is required"):
        analysis_submit(user=user, kind="connectivity", params={})
    assert AnalysisRun.objects.count() == 0


def test_a_crash_leaves_the_run_failed_with_a_message_and_no_result(toy_kind, user):
    run = analysis_submit(user=user, kind="connectivity", params={"n": 1, "crash": True})
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "ZeroDivisionError: boom" in run.error
    assert run.result_dir == ""


def test_an_input_problem_found_while_running_is_reported_as_is(toy_kind, user):
    run = analysis_submit(user=user, kind="connectivity", params={"n": 1, "bad": True})
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "the dataset has no sample group 'x'"


def test_a_run_cancelled_before_it_starts_never_runs(toy_kind, user):
    run = AnalysisRun.objects.create(kind="connectivity", params={"n": 1}, owner=user)
    analysis_cancel(run=run)
    analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert toy_kind == []


def test_the_reaper_fails_runs_whose_worker_died(user):
    stale = AnalysisRun.objects.create(
        kind="connectivity",
        status=RunStatus.RUNNING,
        heartbeat=timezone.now() - timedelta(hours=1),
    )
    alive = AnalysisRun.objects.create(
        kind="connectivity", status=RunStatus.RUNNING, heartbeat=timezone.now()
    )
    assert runs_reap_stale(stale_after=timedelta(minutes=10)) == 1
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.status == RunStatus.FAILED and "worker" in stale.error
    assert alive.status == RunStatus.RUNNING


def test_the_api_submits_polls_and_serves_tables(toy_kind, user):
    client = APIClient()
    client.force_authenticate(user)
    response = client.post(
        "/api/v1/analyses/", {"kind": "connectivity", "params": {"n": 2}}, format="json"
    )
    assert response.status_code == 201, response.content
    run_id = response.json()["id"]
    detail = client.get(f"/api/v1/analyses/{run_id}/").json()
    assert detail["status"] == "succeeded" and detail["tables"] == ["scores"]
    table = client.get(f"/api/v1/analyses/{run_id}/tables/scores/").json()
    assert table["rows"] == [
        {"gene": "A", "score": 1.5},
        {"gene": "B", "score": None},
        {"gene": "C", "score": "Infinity"},  # JSON has no infinities
    ]
    download = client.get(f"/api/v1/analyses/{run_id}/download/scores/")
    assert download.status_code == 200
    assert b"gene\tscore" in b"".join(download.streaming_content)


def test_the_api_answers_400_for_an_unknown_kind_or_bad_params(toy_kind, user):
    client = APIClient()
    client.force_authenticate(user)
    unknown = client.post("/api/v1/analyses/", {"kind": "nope", "params": {}}, format="json")
    assert unknown.status_code == 400 and "unknown kind" in unknown.content.decode()
    bad = client.post("/api/v1/analyses/", {"kind": "connectivity", "params": {}}, format="json")
    assert bad.status_code == 400 and "params.n is required" in bad.content.decode()


def test_private_runs_are_invisible_to_other_users_and_anonymous(toy_kind, user):
    run = analysis_submit(user=user, kind="connectivity", params={"n": 1})
    other = get_user_model().objects.create_user("bob", password="pw-bob-123456")
    client = APIClient()
    assert client.get(f"/api/v1/analyses/{run.pk}/").status_code == 404
    client.force_authenticate(other)
    assert client.get(f"/api/v1/analyses/{run.pk}/").status_code == 404
    assert client.get("/api/v1/analyses/").json()["count"] == 0
    assert client.post(f"/api/v1/analyses/{run.pk}/cancel/").status_code == 404


def test_the_run_page_shows_progress_reproducibility_and_tables(toy_kind, user, client):
    run = analysis_submit(user=user, kind="connectivity", params={"n": 4})
    client.force_login(user)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert 'id="run-progress"' in page
    assert "Run again on the current library version" in page
    assert "v1" in page  # library version
    assert "<th>gene</th>" in page
    for fmt in ("tsv", "csv", "xlsx"):
        assert f"/runs/{run.pk}/files/scores.{fmt}" in page


def test_an_anonymous_visitor_cannot_open_someone_elses_run_page(toy_kind, user, client):
    run = analysis_submit(user=user, kind="connectivity", params={"n": 4})
    assert client.get(f"/runs/{run.pk}/").status_code == 404


def test_the_run_page_shortens_long_parameter_lists():
    from analysis.runs.views import params_for_display

    shown = params_for_display({"source": {"query": {"genes": list(range(978))}}, "top": 5})
    assert '"… 978 values in all"' in shown and '"top": 5' in shown
    assert shown.count("\n") < 20
