"""A test-only run kind that works slowly, for the worker-kill, cancel and heartbeat tests.

Installed by ``tests.reliability.fault_settings`` (INSTALLED_APPS), never in the portal;
in-process tests register ``run_slowly`` themselves. params: ``steps`` (600 steps of 0.1 s,
each reporting progress); or ``compute_seconds``: a busy loop that reports nothing and only
calls the run's cancellation checkpoint, as a long engine loop does; or ``silent_seconds``: one
long step that neither reports nor checks (a long library call).
"""

import time

from django.apps import AppConfig

from analysis.runs.registry import RunResult, checkpoint

KIND = "reliability_slow"


def run_slowly(params: dict, progress) -> RunResult:
    import pandas as pd

    if "compute_seconds" in params:
        check = checkpoint(progress)
        deadline = time.monotonic() + float(params["compute_seconds"])
        while time.monotonic() < deadline:
            sum(range(1000))  # ~10 µs of work per iteration
            check()
    elif "silent_seconds" in params:
        time.sleep(float(params["silent_seconds"]))
    else:
        for step in range(int(params.get("steps", 600))):
            progress(min(99, step), f"step {step}")
            time.sleep(0.1)
    return RunResult(tables={"done": pd.DataFrame({"x": [1]})})


class SlowKindConfig(AppConfig):
    name = "tests.reliability"
    label = "reliability_slow_kind"

    def ready(self):
        from analysis.runs.registry import register

        register(KIND)(run_slowly)
