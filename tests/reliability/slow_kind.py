"""A test-only run kind that works slowly and reports progress, for the worker-kill test.

Installed only by ``tests.reliability.fault_settings`` (INSTALLED_APPS), never in the portal.
"""

import time

from django.apps import AppConfig

from analysis.runners import RunResult

KIND = "reliability_slow"


def run_slowly(params: dict, progress) -> RunResult:
    for step in range(int(params.get("steps", 600))):
        progress(min(99, step), f"step {step}")
        time.sleep(0.1)
    import pandas as pd

    return RunResult(tables={"done": pd.DataFrame({"x": [1]})})


class SlowKindConfig(AppConfig):
    name = "tests.reliability"
    label = "reliability_slow_kind"

    def ready(self):
        from analysis.runners import register

        register(KIND)(run_slowly)
