"""A run submitted in one process is executed by a real `manage.py qcluster` worker, through
the embedded default broker (django-q2's ORM) and through Redis (production's option)."""

import os
import shutil
import sqlite3
import time

import pytest

from tests.conftest import require_tool
from tests.reliability.processes import manage, portal_env, qcluster, run_row

REDIS_URL = os.environ.get("REDIS_URL_TEST", "redis://127.0.0.1:6379/15")


def _redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception:  # noqa: BLE001 - any failure means no usable server
        return False
    return True


@pytest.mark.parametrize("broker", ["orm", "redis"])
def test_a_worker_process_runs_a_submitted_analysis_to_completion(tmp_path, broker):
    env = portal_env(tmp_path, Q_WORKERS="1")
    if broker == "redis":
        if not _redis_available():
            require_tool(f"no Redis server answers at {REDIS_URL}")
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()  # a database number of the tests' own
        env["REDIS_URL"] = REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput")
    submit = (
        "from analysis.runs.services import analysis_submit;"
        "print(analysis_submit(user=None, kind='reliability_slow', params={'steps': 3}).pk)"
    )
    run_id = int(manage(env, "shell", "-c", submit).strip().splitlines()[-1])
    with qcluster(env):
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            status = run_row(tmp_path / "portal.sqlite3", run_id)[0]
            if status in {"succeeded", "failed"}:
                break
            time.sleep(0.3)
    assert status == "succeeded"
    assert (tmp_path / "data" / "runs" / str(run_id) / "done.tsv").exists()
    shutil.rmtree(tmp_path / "data", ignore_errors=True)


def test_a_run_submitted_with_redis_unreachable_is_failed_at_once_not_left_queued(tmp_path):
    """Production's configuration (REDIS_URL) with nothing listening: the submit says so."""
    db = tmp_path / "portal.sqlite3"
    env = portal_env(tmp_path, REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens on port 1
    manage(env, "migrate", "--noinput")
    submit = (
        "from analysis.runs.services import RunQueueUnavailable, analysis_submit\n"
        "try:\n"
        "    analysis_submit(user=None, kind='reliability_slow', params={'steps': 3})\n"
        "except RunQueueUnavailable as exc:\n"
        "    print('refused:', exc)\n"
    )
    out = manage(env, "shell", "-c", submit)
    assert "refused: The task queue is not reachable" in out
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT status, error FROM analysis_analysisrun").fetchall()
    assert len(rows) == 1
    assert rows[0][0] == "failed" and "task queue" in rows[0][1]


def test_a_cancelled_run_frees_the_only_worker_within_seconds(tmp_path):
    """With one worker, a cancelled long computation must not hold the queue: the next run
    starts within a few seconds of the cancel (it waited ~100 s behind a cancelled GSEA)."""
    db = tmp_path / "portal.sqlite3"
    env = portal_env(tmp_path, Q_WORKERS="1", REDIS_URL=None)
    manage(env, "migrate", "--noinput")
    submit = (
        "from analysis.runs.services import analysis_submit;"
        "print(analysis_submit(user=None, kind='reliability_slow', params={'compute_seconds': 300}).pk,"
        " analysis_submit(user=None, kind='reliability_slow', params={'steps': 1}).pk)"
    )
    long_id, next_id = map(int, manage(env, "shell", "-c", submit).split()[-2:])

    def status(run_id):
        return run_row(db, run_id)[0]

    with qcluster(env):
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
    assert status(next_id) == "succeeded"
    assert status(long_id) == "cancelled"
    assert waited < 5, f"the next run finished {waited:.1f} s after the cancel"
