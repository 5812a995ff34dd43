"""django-q2 task adapters: a few lines that call services."""

from analysis.runs.services import analysis_execute, runs_reap_stale


def run_analysis(run_id: int) -> str:
    return analysis_execute(run_id=run_id).status


def reap_stale_runs() -> int:
    return runs_reap_stale()
