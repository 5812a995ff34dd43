"""Faults: a worker killed mid-run, the database going away, a damaged library, a failed import."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from signatures import io
from tests.conftest import ROOT
from tests.factories import catalogue_state
from tests.reliability.processes import manage, portal_env, qcluster, run_row

FAULTS: dict[str, int] = {}


def _fault(name: str) -> None:
    FAULTS[name] = FAULTS.get(name, 0) + 1


# --- a worker killed in the middle of a run -----------------------------------------------


ROW = "status, progress, result_dir, error"


def test_a_worker_killed_mid_run_leaves_the_run_failed_after_the_reaper_and_no_result(tmp_path):
    db = tmp_path / "portal.sqlite3"
    env = portal_env(tmp_path, Q_WORKERS="1")
    manage(env, "migrate", "--noinput")
    with qcluster(env):  # killed with SIGKILL to its process group when the block ends
        submit = (
            "from analysis.runs.services import analysis_submit;"
            "print(analysis_submit(user=None, kind='reliability_slow', params={'steps': 600}).pk)"
        )
        run_id = int(manage(env, "shell", "-c", submit).strip().splitlines()[-1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, progress, *_ = run_row(db, run_id, ROW)
            if status == "running" and progress >= 3:
                break
            time.sleep(0.2)
        assert (status, progress >= 3) == ("running", True), "the worker never started the run"
    _fault("worker killed (SIGKILL to the qcluster process group)")
    time.sleep(1.2)
    assert run_row(db, run_id)[0] == "running"  # nobody told the row: the reaper must
    out = manage(env, "reap_stale_runs", "--minutes=0")
    status, _, result_dir, error = run_row(db, run_id, ROW)
    assert "1 stale run(s) marked failed" in out
    assert status == "failed"
    assert "stopped" in error
    assert result_dir == ""
    assert not (tmp_path / "data" / "runs" / str(run_id)).exists()


# --- the database goes away and comes back -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_portal_answers_503_while_the_database_is_down_and_recovers(client):
    assert client.get("/datasets/").status_code == 200
    saved, live = dict(connection.settings_dict), connection.connection
    if connection.vendor == "sqlite":
        # The in-memory test database ignores close(): put its connection aside instead.
        connection.connection = None
        connection.settings_dict["NAME"] = "/nonexistent-dir/portal.sqlite3"
    else:
        connection.close()
        connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        _fault("database unreachable")
        page = client.get("/datasets/")
        api = client.get("/api/v1/datasets/")
        health = client.get("/healthz")
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
        if connection.vendor == "sqlite":
            connection.connection = live
    assert page.status_code == 503
    assert "temporarily unavailable" in page.content.decode()
    assert page["Retry-After"]
    assert api.status_code == 503
    assert "database" in api.json()["detail"]
    assert health.status_code == 503
    assert client.get("/datasets/").status_code == 200  # back without a restart


# --- a damaged or missing library ---------------------------------------------------------

QUERY = {
    "library": "public-lib",
    "metric": "pearson",
    "top": 3,
    "query": {"genes": [f"RELG{i}" for i in range(1, 31)], "logFC": list(range(30))},
}


def _version_dir(slug: str) -> Path:
    return io.library_root(slug=slug) / io._current_path(slug)[0]


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "delete"])
def test_a_damaged_library_gets_a_clear_503_never_numbers(world, client, damage):
    files = sorted(p for p in _version_dir("public-lib").glob("*.npy"))
    target = files[0]
    if damage == "flip a byte":
        data = bytearray(target.read_bytes())
        data[-1] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:-8])
    else:
        target.unlink()
    io.library_open.cache_clear()
    _fault(f"library file: {damage}")
    response = client.post("/api/v1/connectivity/", QUERY, content_type="application/json")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert target.name in detail
    assert "rows" not in response.json()


# --- an import that fails half-way ------------------------------------------------------


def test_a_library_import_failing_half_way_leaves_the_old_version_serving(
    world, client, tmp_path, settings, monkeypatch
):
    first = client.post("/api/v1/connectivity/", QUERY, content_type="application/json").json()
    before = catalogue_state(settings.DATA_DIR)
    rng = np.random.default_rng(5)
    genes = np.arange(5001, 5061)
    header = "gene\t" + "\t".join(f"NEW_{j}" for j in range(8))
    body = "".join(
        f"{g}\t" + "\t".join(f"{v:.4f}" for v in rng.standard_normal(8)) + "\n" for g in genes
    )
    (tmp_path / "logfc.tsv").write_text(header + "\n" + body)

    def disk_full(*args, **kwargs):  # the new version's files are half written at this point
        raise OSError("No space left on device (injected)")

    monkeypatch.setattr(io, "_derive_layouts", disk_full)
    with pytest.raises((CommandError, OSError)):
        call_command(
            "import_library",
            "--slug=public-lib",
            "--name=Public library",
            "--kind=chemical",
            f"--logfc={tmp_path / 'logfc.tsv'}",
        )
    _fault("import failing half-way")
    assert catalogue_state(settings.DATA_DIR) == before
    io.library_open.cache_clear()
    again = client.post("/api/v1/connectivity/", QUERY, content_type="application/json").json()
    assert again["version"] == first["version"]
    assert again["rows"] == first["rows"]


# --- a library file truncated while it is mapped ------------------------------------------

TRUNCATE_AFTER_MAPPING = """
import os, sys
import django
django.setup()
import numpy as np
from signatures import io
from tests.reliability.conftest import store_library
store_library("mapped-lib", seed=3, n_signatures=5000)
lib = io.library_open(slug="mapped-lib")
float(np.asarray(lib.logfc).sum())  # every page is mapped and resident
with open(lib.path / "logfc.npy", "r+b") as fh:
    fh.truncate(io.PAGE + 4096)
try:
    lib = io.library_open(slug="mapped-lib")
    print("read", float(np.asarray(lib.logfc).sum()))
except io.LibraryCorrupt as exc:
    print("LibraryCorrupt:", exc)
"""


def test_a_file_truncated_after_it_was_mapped_is_reported_not_a_sigbus(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ilincs_site.settings",
        "DJANGO_DEBUG": "1",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", TRUNCATE_AFTER_MAPPING],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    _fault("library file truncated while mapped")
    assert done.returncode == 0, f"the process died (signal {-done.returncode}): {done.stderr}"
    assert "LibraryCorrupt:" in done.stdout
    assert "logfc.npy" in done.stdout and "re-import" in done.stdout


def test_a_query_after_a_mapped_file_was_truncated_gets_the_clear_503(world, client):
    first = client.post("/api/v1/connectivity/", QUERY, content_type="application/json")
    assert first.status_code == 200  # the library is mapped and cached in this process
    target = _version_dir("public-lib") / "yq.npy"  # the int8 layout pearson scans
    with target.open("r+b") as fh:
        fh.truncate(io.PAGE)
    _fault("library layout truncated after a query mapped it")
    response = client.post("/api/v1/connectivity/", QUERY, content_type="application/json")
    assert response.status_code == 503
    assert "yq.npy" in response.json()["detail"]


def test_a_run_on_a_library_truncated_after_mapping_fails_with_the_store_message(world):
    from django.test import TestCase

    from analysis.runs.services import analysis_submit

    assert np.asarray(io.library_open(slug="public-lib").layouts["y"]).sum() is not None
    with (_version_dir("public-lib") / "yq.npy").open("r+b") as fh:
        fh.truncate(io.PAGE)  # as the worker-side SIGBUS was provoked
    _fault("library truncated under a run's worker")
    params = {"source": {"query": QUERY["query"]}, "library": "public-lib", "metric": "pearson"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = analysis_submit(user=world.users["owner"], kind="connectivity", params=params)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "yq.npy" in run.error and "re-import" in run.error
    assert not run.error.startswith("internal error")


def test_a_damaged_library_is_mapped_afresh_alone_and_served_again_once_repaired(world):
    public, draft = io.library_open(slug="public-lib"), io.library_open(slug="draft-lib")
    target = _version_dir("public-lib") / "logfc.npy"
    saved = target.read_bytes()
    target.write_bytes(saved[: io.PAGE])  # truncated in place
    with pytest.raises(io.LibraryCorrupt, match="logfc.npy"):
        io.library_open(slug="public-lib")
    assert io.library_open(slug="draft-lib") is draft  # its maps are kept, not re-checked
    target.write_bytes(saved)  # e.g. restored from a backup: no restart needed
    repaired = io.library_open(slug="public-lib")
    assert repaired is not public
    assert np.array_equal(np.asarray(repaired.logfc), np.asarray(public.logfc))


def _precompute(slug: str) -> None:
    call_command("precompute_connections", slug, "--top", "3", "--block", "4", stdout=StringIO())


@pytest.mark.parametrize("damage", ["truncate a library file", "truncate the connections"])
def test_connections_of_a_damaged_library_get_the_clear_503(world, client, damage):
    _precompute("public-lib")
    url = f"/api/v1/signatures/{world.public_signature.accession}/connections/"
    assert client.get(url).status_code == 200
    version = _version_dir("public-lib")
    target = version / ("logfc.npy" if damage.endswith("file") else "connections.npz")
    with target.open("r+b") as fh:
        fh.truncate(100)
    _fault(f"connections: {damage}")
    response = client.get(url)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert target.name in response.json()["detail"]


def test_connections_never_computed_are_still_a_404(world, client):
    url = f"/api/v1/signatures/{world.public_signature.accession}/connections/"
    response = client.get(url)
    assert response.status_code == 404
    assert "precompute_connections" in response.json()["detail"]


# --- re-importing the same files repairs a damaged store -----------------------------------


def _import_tiny(tmp_path, *extra: str) -> str:
    source = tmp_path / "lfc.tsv"
    if not source.exists():
        rng = np.random.default_rng(9)
        rows = "".join(
            f"{5001 + g}\t" + "\t".join(f"{v:.3f}" for v in rng.standard_normal(4)) + "\n"
            for g in range(40)
        )
        source.write_text("gene\tT_1\tT_2\tT_3\tT_4\n" + rows)
    out = StringIO()
    call_command(
        "import_library",
        "--slug=tiny-lib",
        "--name=Tiny",
        "--kind=other",
        f"--logfc={source}",
        *extra,
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("damage", "flag"),
    [("truncate", ""), ("flip a byte of a large file", "--verify"), ("delete", "")],
)
def test_reimporting_the_same_files_rewrites_a_damaged_store(tmp_path, monkeypatch, damage, flag):
    assert _import_tiny(tmp_path).startswith("created")
    values = np.asarray(io.library_open(slug="tiny-lib").logfc).copy()
    _precompute("tiny-lib")
    target = _version_dir("tiny-lib") / "logfc.npy"
    if damage == "truncate":
        with target.open("r+b") as fh:
            fh.truncate(io.PAGE + 16)
    elif damage == "delete":
        target.unlink()
    else:
        data = bytearray(target.read_bytes())
        data[-3] ^= 0x40
        target.write_bytes(bytes(data))
        # a file this size is hashed only on demand (--verify): make logfc.npy count as large
        monkeypatch.setattr(io, "FULL_VERIFY_BYTES", 0)
        monkeypatch.setattr(io, "_SMALL_FILE_BYTES", 0)
        assert "unchanged" in _import_tiny(tmp_path)  # sizes are right: not noticed without
    _fault(f"re-import after: {damage}")
    out = _import_tiny(tmp_path, *([flag] if flag else []))
    assert out.startswith("repaired"), out
    assert "logfc.npy" in out
    io.library_verify(slug="tiny-lib")  # every file hashes to its manifest again
    assert np.array_equal(np.asarray(io.library_open(slug="tiny-lib").logfc), values)
    assert (_version_dir("tiny-lib") / "connections.npz").exists()  # intact: kept
    assert _import_tiny(tmp_path, "--verify").startswith("unchanged")


# --- the task queue unreachable -------------------------------------------------------------

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def slow_kind(monkeypatch):
    from analysis.runs import registry as runners
    from tests.reliability.slow_kind import KIND, run_slowly

    monkeypatch.setitem(runners._RUNNERS, KIND, run_slowly)
    return KIND


@pytest.fixture
def dead_queue(settings, monkeypatch):
    """The production configuration (a Redis broker, no synchronous mode) with Redis down."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", DEAD_REDIS)
    monkeypatch.setattr(Conf, "SYNC", False)
    settings.Q_CLUSTER = {
        **{k: v for k, v in settings.Q_CLUSTER.items() if k != "orm"},
        "redis": DEAD_REDIS,
        "sync": False,
    }


@pytest.mark.django_db(transaction=True)
def test_a_run_submitted_while_the_queue_is_down_is_failed_and_answered_with_a_json_503(
    world, slow_kind, dead_queue
):
    from rest_framework.test import APIClient

    from analysis.models import AnalysisRun

    api = APIClient()
    api.force_authenticate(world.users["owner"])
    _fault("task queue (Redis) unreachable at submit")
    response = api.post(
        "/api/v1/analyses/", {"kind": slow_kind, "params": {"steps": 1}}, format="json"
    )
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert "task queue is not reachable" in response.json()["detail"]
    run = AnalysisRun.objects.get(kind=slow_kind)
    assert run.status == "failed"  # not "queued" forever
    assert "task queue" in run.error


@pytest.mark.django_db(transaction=True)
def test_an_html_page_submitting_a_run_while_the_queue_is_down_shows_a_clear_503(
    world, slow_kind, dead_queue, client
):
    from analysis.models import AnalysisRun

    owner = world.users["owner"]
    done = AnalysisRun.objects.create(
        kind=slow_kind, params={"steps": 1}, status="succeeded", owner=owner
    )
    client.force_login(owner)
    response = client.post(f"/runs/{done.pk}/again/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "analysis queue is temporarily unavailable" in page
    assert "submit it again" in page
    assert AnalysisRun.objects.filter(kind=slow_kind).exclude(pk=done.pk).get().status == "failed"


def test_the_reaper_fails_queued_runs_no_worker_started_after_a_generous_wait(world):
    """Runs queued long ago that no worker started are failed; recent ones keep waiting."""
    from django.utils import timezone

    from analysis.models import AnalysisRun

    now = timezone.now()
    lost = AnalysisRun.objects.create(kind="connectivity", params={}, status="queued")
    waiting = AnalysisRun.objects.create(kind="connectivity", params={}, status="queued")
    AnalysisRun.objects.filter(pk=lost.pk).update(created=now - timedelta(hours=30))
    AnalysisRun.objects.filter(pk=waiting.pk).update(created=now - timedelta(hours=5))
    _fault("a queued run the queue lost")
    out = StringIO()
    call_command("reap_stale_runs", stdout=out)
    assert "1 stale run(s) marked failed" in out.getvalue()
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.status == "failed" and "no worker started" in lost.error
    assert waiting.status == "queued"  # a busy queue is not a lost one
    call_command("reap_stale_runs", "--queued-hours=4", stdout=out)
    waiting.refresh_from_db()
    assert waiting.status == "failed"


# --- cancelling reaches the computation; heartbeats keep coming ---------------------------


# The in-memory SQLite test database is shared between threads with table locks that do not
# wait: a read in one thread while another writes fails at once ("database table is locked").
# So these tests learn that the run started from the worker thread itself, not by polling,
# and retry their own few statements.


def _execute_in_thread(run_id: int, monkeypatch) -> tuple:
    """analysis_execute in a worker thread; returns the thread and a dict it fills."""
    import threading

    from analysis.runs import services

    out: dict = {"running": threading.Event()}

    class Monitor(services.RunMonitor):
        def __enter__(self):
            out["running"].set()
            return super().__enter__()

    monkeypatch.setattr(services, "RunMonitor", Monitor)

    def work():
        try:
            out["status"] = services.analysis_execute(run_id=run_id).status
        finally:
            out["ended"] = time.monotonic()
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    assert out["running"].wait(timeout=60), "the run never started"
    return thread, out


def _retried(statement):
    from django.db import OperationalError

    for _ in range(50):
        try:
            return statement()
        except OperationalError:
            time.sleep(0.01)
    return statement()


def _cancel_and_time(run_id: int, thread, out: dict) -> float:
    from analysis.models import AnalysisRun
    from analysis.runs.services import analysis_cancel

    cancelled_at = time.monotonic()
    _retried(lambda: analysis_cancel(run=AnalysisRun.objects.get(pk=run_id)))
    thread.join(timeout=120)
    assert not thread.is_alive()
    return out["ended"] - cancelled_at


@pytest.mark.django_db(transaction=True)
def test_a_cancel_stops_a_computation_that_reports_no_progress_within_two_seconds(
    world, slow_kind, monkeypatch
):
    from analysis.models import AnalysisRun

    run = AnalysisRun.objects.create(kind=slow_kind, params={"compute_seconds": 60})
    thread, out = _execute_in_thread(run.pk, monkeypatch)
    time.sleep(0.5)
    _fault("cancel during a long computation")
    stopped_after = _cancel_and_time(run.pk, thread, out)
    assert stopped_after < 2.0, f"the computation went on for {stopped_after:.1f} s"
    assert AnalysisRun.objects.get(pk=run.pk).status == "cancelled"
    assert out["status"] == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_a_cancel_stops_a_long_gsea_within_two_seconds(django_user_model, monkeypatch):
    from analysis.models import AnalysisRun
    from analysis.runs.services import analysis_submit
    from tests.analysis.interpret import data as interpret_data

    interpret_data.load_genes()
    interpret_data.load_genesets("hallmark", "kegg-2016")
    rng = np.random.default_rng(0)
    symbols = sorted({g for s in interpret_data.gmt("kegg-2016") for g in s.genes})
    query = {"genes": symbols, "logFC": rng.standard_normal(len(symbols)).round(4).tolist()}
    params = {"source": {"query": query}, "genesets": ["kegg-2016", "hallmark"], "n_perm": 10000}
    with pytest.MonkeyPatch.context() as patch:  # queue it, but let this test's thread run it
        patch.setattr("analysis.runs.services._enqueue", lambda **kw: None)
        user = django_user_model.objects.create_user("gsea-user", password="pw-gsea-12345")
        run = analysis_submit(user=user, kind="gsea", params=params)
    thread, out = _execute_in_thread(run.pk, monkeypatch)
    time.sleep(1.5)  # well inside the permutations (this GSEA takes minutes)
    _fault("cancel during GSEA")
    stopped_after = _cancel_and_time(run.pk, thread, out)
    assert stopped_after < 2.0, f"GSEA went on for {stopped_after:.1f} s after the cancel"
    assert AnalysisRun.objects.get(pk=run.pk).status == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_heartbeats_keep_coming_during_a_long_silent_step(world, slow_kind, settings, monkeypatch):
    from analysis.models import AnalysisRun
    from analysis.runs.services import runs_reap_stale

    settings.RUN_HEARTBEAT_SECONDS = 0.2
    run = AnalysisRun.objects.create(kind=slow_kind, params={"silent_seconds": 3})
    thread, out = _execute_in_thread(run.pk, monkeypatch)
    started, beats = time.monotonic(), set()
    while time.monotonic() - started < 2.0:  # then stay away while the worker finishes
        beats.add(_retried(lambda: AnalysisRun.objects.get(pk=run.pk).heartbeat))
        time.sleep(0.1)
    reaped = _retried(lambda: runs_reap_stale(stale_after=timedelta(seconds=1)))
    thread.join()
    _fault("a long step that reports no progress")
    assert reaped == 0, "the reaper failed a healthy run 2 s into a silent step"
    assert len(beats) >= 5, f"only {len(beats)} distinct heartbeats in 2 s of a silent step"
    assert out["status"] == "succeeded"
    assert AnalysisRun.objects.get(pk=run.pk).status == "succeeded"
