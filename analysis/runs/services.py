"""Analysis runs: submit, execute, cancel, reap. The UI and API poll the row, never the queue."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_q.tasks import async_task

from analysis.choices import RunStatus
from analysis.models import AnalysisRun
from analysis.runs.registry import (
    RunCancelled,
    RunInputError,
    RunResult,
    Submitter,
    runner_for,
    validate_params,
)
from ilincs_site.errors import ServiceUnavailable
from signatures.io import LibraryCorrupt

logger = logging.getLogger(__name__)

SOFTWARE_VERSION = "0.1.0"
TERMINAL = {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}
QUEUE_DOWN = (
    "The task queue is not reachable, so the analysis could not be started and nothing was "
    "computed. Please submit it again in a few minutes."
)
#: A queued run no worker has started after this long is failed by ``runs_reap_stale``:
#: generous, since a run may legitimately wait behind hours of others in a busy queue.
QUEUED_STALE_AFTER = timedelta(hours=24)


class RunQueueUnavailable(ServiceUnavailable):
    """The task queue refused a run (broker down); the run is already marked failed."""

    title = "The analysis queue is temporarily unavailable"


def params_checksum(params: dict) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def run_result_dir(*, run: AnalysisRun) -> Path:
    return Path(settings.DATA_DIR) / "runs" / str(run.pk)


def analysis_submit(
    *,
    user,
    kind: str,
    params: dict,
    is_public: bool = False,
    session_runs: list[int] | tuple[int, ...] = (),
) -> AnalysisRun:
    """Create the run row and queue it once the transaction commits.

    Parameters are validated as ``user`` sees the catalogue (``session_runs``: the anonymous
    browser session's own runs), so a run can never read what its submitter may not see."""
    submitter = Submitter(user=user, session_runs=tuple(session_runs or ()))
    params = validate_params(kind, params, submitter=submitter)  # fails before a row exists
    run = AnalysisRun.objects.create(
        kind=kind,
        params=params,
        owner=user if user is not None and user.is_authenticated else None,
        is_public=is_public,
        input_checksum=params_checksum(params),
        software_version=SOFTWARE_VERSION,
    )
    transaction.on_commit(lambda: _enqueue(run_id=run.pk, kind=kind))
    return run


def _enqueue(*, run_id: int, kind: str) -> None:
    """Queue the run's task; a broker that refuses it fails the run and raises
    ``RunQueueUnavailable`` (outside a transaction, from ``analysis_submit`` itself)."""
    sync = bool(settings.Q_CLUSTER.get("sync", False))
    try:
        async_task("analysis.tasks.run_analysis", run_id, sync=sync, group=kind)
    except Exception as exc:  # noqa: BLE001 - redis, the ORM broker: any refusal is the same
        logger.exception("analysis run %s could not be queued", run_id)
        _finish_failed(run_id, QUEUE_DOWN)
        raise RunQueueUnavailable(QUEUE_DOWN) from exc


class RunMonitor:
    """A running analysis's link to its row: progress, cancellation and heartbeats.

    Called as ``monitor(percent, message)`` it is the runner's progress callback (it raises
    ``RunCancelled`` once the run is no longer running). ``check()`` is the cheap cancellation
    checkpoint handed to long engine loops (``analysis.runs.registry.checkpoint``): it reads the
    status at most every ``RUN_CANCEL_POLL_SECONDS``, so a loop may call it every iteration.
    Used as a context manager it also beats the heartbeat from a thread every
    ``RUN_HEARTBEAT_SECONDS``, so a step that reports nothing for long is not reaped. Inside
    a transaction (tests) the thread is not started: it could not see the uncommitted row.
    """

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.poll_seconds = float(getattr(settings, "RUN_CANCEL_POLL_SECONDS", 0.5))
        self.heartbeat_seconds = float(getattr(settings, "RUN_HEARTBEAT_SECONDS", 30))
        self._next_poll = time.monotonic() + self.poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, percent: int, message: str = "") -> None:
        updated = AnalysisRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
            progress=max(0, min(100, int(percent))),
            progress_message=message[:300],
            heartbeat=timezone.now(),
        )
        self._next_poll = time.monotonic() + self.poll_seconds
        if not updated:
            raise RunCancelled()

    def check(self) -> None:
        if time.monotonic() < self._next_poll:
            return
        self._next_poll = time.monotonic() + self.poll_seconds
        try:
            status = (
                AnalysisRun.objects.filter(pk=self.run_id).values_list("status", flat=True).first()
            )
        except DatabaseError:  # a busy or lost database: the next poll asks again
            logger.warning("run %s: cancellation poll failed", self.run_id, exc_info=True)
            return
        if status is not None and status != RunStatus.RUNNING:
            raise RunCancelled()

    def __enter__(self) -> RunMonitor:
        if not connection.in_atomic_block:
            self._thread = threading.Thread(
                target=self._beat, name=f"run-{self.run_id}-heartbeat", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.heartbeat_seconds):
                try:
                    AnalysisRun.objects.filter(pk=self.run_id, status=RunStatus.RUNNING).update(
                        heartbeat=timezone.now()
                    )
                except DatabaseError:  # the reaper's threshold allows missing a few beats
                    logger.warning("run %s: heartbeat failed", self.run_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection


def analysis_execute(*, run_id: int) -> AnalysisRun:
    """Run one analysis to completion: status, progress, result files, errors."""
    claimed = AnalysisRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started=timezone.now(), heartbeat=timezone.now(), progress=0
    )
    run = AnalysisRun.objects.get(pk=run_id)
    if not claimed:
        return run  # cancelled before it started, or already taken
    try:
        with RunMonitor(run.pk) as monitor:
            result = runner_for(run.kind)(run.params, monitor)
    except RunCancelled:
        return AnalysisRun.objects.get(pk=run_id)
    except (RunInputError, LibraryCorrupt) as exc:
        return _finish_failed(run_id, str(exc))
    except Exception as exc:  # noqa: BLE001 - any crash becomes a failed run, with its trace logged
        logger.exception("analysis run %s crashed", run_id)
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return _finish_failed(run_id, f"internal error: {detail}")
    return run_store_result(run=run, result=result)


def run_store_result(*, run: AnalysisRun, result: RunResult) -> AnalysisRun:
    """Write result files into a temporary folder, then publish folder and status together."""
    final = run_result_dir(run=run)
    tmp = final.with_name(f".{final.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, table in result.tables.items():
        table.to_csv(tmp / f"{name}.tsv", sep="\t", index=False)
    (tmp / "summary.json").write_text(json.dumps(result.summary, indent=2, default=str))
    with transaction.atomic():
        locked = AnalysisRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.RUNNING:
            shutil.rmtree(tmp, ignore_errors=True)
            return locked
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        locked.status = RunStatus.SUCCEEDED
        locked.progress = 100
        locked.progress_message = "done"
        locked.finished = timezone.now()
        locked.result_dir = str(final)
        locked.summary = {**result.summary, "tables": sorted(result.tables)}
        locked.library_version = result.library_version or locked.library_version
        if result.input_checksum:
            locked.input_checksum = result.input_checksum
        locked.save()
    return locked


def _finish_failed(run_id: int, message: str) -> AnalysisRun:
    AnalysisRun.objects.filter(pk=run_id).exclude(status__in=TERMINAL).update(
        status=RunStatus.FAILED, error=message[:5000], finished=timezone.now()
    )
    return AnalysisRun.objects.get(pk=run_id)


def analysis_cancel(*, run: AnalysisRun) -> AnalysisRun:
    AnalysisRun.objects.filter(pk=run.pk, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=RunStatus.CANCELLED, finished=timezone.now(), progress_message="cancelled"
    )
    run.refresh_from_db()
    return run


def analysis_rerun(
    *, run: AnalysisRun, user, session_runs: list[int] | tuple[int, ...] = ()
) -> AnalysisRun:
    """Run the same parameters again (on the libraries' current versions)."""
    return analysis_submit(
        user=user,
        kind=run.kind,
        params=run.params,
        is_public=run.is_public,
        session_runs=session_runs,
    )


def runs_reap_stale(
    *,
    stale_after: timedelta = timedelta(minutes=10),
    queued_after: timedelta = QUEUED_STALE_AFTER,
) -> int:
    """Fail runs whose worker stopped sending heartbeats (crash, kill, reboot), and runs no
    worker has started ``queued_after`` after their submission (a task the queue lost)."""
    now = timezone.now()
    stopped = AnalysisRun.objects.filter(
        status=RunStatus.RUNNING, heartbeat__lt=now - stale_after
    ).update(
        status=RunStatus.FAILED,
        error="the worker running this analysis stopped (crash or restart); please run it again",
        finished=now,
    )
    hours = queued_after.total_seconds() / 3600
    lost = AnalysisRun.objects.filter(
        status=RunStatus.QUEUED, started__isnull=True, created__lt=now - queued_after
    ).update(
        status=RunStatus.FAILED,
        error=(
            f"no worker started this analysis within {hours:g} hours of its submission (the "
            "task queue lost it, or no worker is running); please run it again"
        ),
        finished=now,
    )
    return stopped + lost
