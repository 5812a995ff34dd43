"""Real portal processes for the fault and broker tests: a scratch environment, manage.py
commands, a qcluster worker that is always killed, and the run rows they write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT


def portal_env(tmp_path: Path, **extra: str | None) -> dict:
    """The test settings with the slow kind, on a scratch SQLite file (``tmp_path /
    portal.sqlite3``) and data folder; ``extra`` adds variables, or drops them when None."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.fault_settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
    }
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def manage(env: dict, *args: str, timeout: float = 120) -> str:
    """Run ``manage.py ARGS`` to completion; its stdout (a failure shows its stderr)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextmanager
def qcluster(env: dict) -> Iterator[subprocess.Popen]:
    """A ``manage.py qcluster`` worker in its own process group, killed (SIGKILL to the whole
    group, the cluster's children included) when the block ends."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield worker
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def run_row(db: Path, run_id: int, columns: str = "status") -> tuple:
    """Columns of one run row, read straight from the scratch database."""
    with sqlite3.connect(db, timeout=30) as con:
        return con.execute(
            f"SELECT {columns} FROM analysis_analysisrun WHERE id = ?", (run_id,)
        ).fetchone()
