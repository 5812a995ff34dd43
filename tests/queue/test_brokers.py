"""A run submitted in one process is executed by a real `manage.py qcluster` worker, through
the embedded default broker (django-q2's ORM) and through Redis (production's option)."""

import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, require_tool

REDIS_URL = os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15")


def _manage(env: dict, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001 - any failure means no usable server
        return False
    return True


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_worker_process_runs_a_submitted_analysis_to_completion(tmp_path, broker):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.fault_settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "Q_WORKERS": "1",
    }
    if broker == "redis":
        if not _redis_available():
            require_tool(f"no Redis server answers at {REDIS_URL}")
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()  # a database number of the tests' own
        env["REDIS_URL"] = REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    _manage(env, "migrate", "--noinput")
    submit = (
        "from analysis.runs.services import analysis_submit;"
        "print(analysis_submit(user=None, kind='reliability_slow', params={'steps': 3}).pk)"
    )
    run_id = int(_manage(env, "shell", "-c", submit).strip().splitlines()[-1])
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            with sqlite3.connect(tmp_path / "portal.sqlite3") as db:
                status = db.execute(
                    "SELECT status FROM analysis_analysisrun WHERE id = ?", (run_id,)
                ).fetchone()[0]
            if status in {"succeeded", "failed"}:
                break
            time.sleep(0.3)
    finally:
        os.killpg(worker.pid, 9)
        worker.wait(timeout=30)
    assert status == "succeeded"
    assert (tmp_path / "data" / "runs" / str(run_id) / "done.tsv").exists()
    shutil.rmtree(tmp_path / "data", ignore_errors=True)


def test_a_run_submitted_with_redis_unreachable_is_failed_at_once_not_left_queued(tmp_path):
    """Production's configuration (REDIS_URL) with nothing listening: the submit says so."""
    db = tmp_path / "portal.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.fault_settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{db}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }
    _manage(env, "migrate", "--noinput")
    submit = (
        "from analysis.runs.services import RunQueueUnavailable, analysis_submit\n"
        "try:\n"
        "    analysis_submit(user=None, kind='reliability_slow', params={'steps': 3})\n"
        "except RunQueueUnavailable as exc:\n"
        "    print('refused:', exc)\n"
    )
    out = _manage(env, "shell", "-c", submit)
    assert "refused: The task queue is not reachable" in out
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT status, error FROM analysis_analysisrun").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == "failed" and "task queue" in rows[0][1]


def test_a_cancelled_run_frees_the_only_worker_within_seconds(tmp_path):
    """With one worker, a cancelled long computation must not hold the queue: the next run
    starts within a few seconds of the cancel (it waited ~100 s behind a cancelled GSEA)."""
    db = tmp_path / "portal.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.fault_settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{db}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "Q_WORKERS": "1",
    }
    env.pop("REDIS_URL", None)
    _manage(env, "migrate", "--noinput")
    submit = (
        "from analysis.runs.services import analysis_submit;"
        "print(analysis_submit(user=None, kind='reliability_slow', params={'compute_seconds': 300}).pk,"
        " analysis_submit(user=None, kind='reliability_slow', params={'steps': 1}).pk)"
    )
    long_id, next_id = map(int, _manage(env, "shell", "-c", submit).split()[-2:])

    def status(run_id):
        with sqlite3.connect(db, timeout=30) as con:
            return con.execute(
                "SELECT status FROM analysis_analysisrun WHERE id = ?", (run_id,)
            ).fetchone()[0]

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while status(long_id) != "running":
            assert time.monotonic() < deadline, "the worker never started the long run"
            time.sleep(0.2)
        time.sleep(1)
        with sqlite3.connect(db, timeout=30) as con:  # what analysis_cancel writes
            con.execute(
                "UPDATE analysis_analysisrun SET status = 'cancelled' WHERE id = ?", (long_id,)
            )
        cancelled = time.monotonic()
        while status(next_id) not in {"succeeded", "failed"}:
            assert time.monotonic() - cancelled < 30, "the next run is still waiting"
            time.sleep(0.1)
        waited = time.monotonic() - cancelled
    finally:
        os.killpg(worker.pid, 9)
        worker.wait(timeout=30)
    assert status(next_id) == "succeeded"
    assert status(long_id) == "cancelled"
    assert waited < 5, f"the next run finished {waited:.1f} s after the cancel"
