"""Read-side queries for analysis runs, with visibility rules."""

import json
from pathlib import Path

import pandas as pd
from django.db.models import Q, QuerySet

from analysis.models import AnalysisRun


def run_list_visible(*, user, session_runs: list[int] | None = None) -> QuerySet[AnalysisRun]:
    """Runs a user may see: their own, those of their browser session, public ones; staff all."""
    runs = AnalysisRun.objects.select_related("owner")
    if user is not None and user.is_authenticated and user.is_staff:
        return runs
    visible = Q(is_public=True) | Q(pk__in=session_runs or [])
    if user is not None and user.is_authenticated:
        visible |= Q(owner=user)
    return runs.filter(visible)


def run_table_names(*, run: AnalysisRun) -> list[str]:
    if not run.result_dir:
        return []
    return sorted(p.stem for p in Path(run.result_dir).glob("*.tsv"))


def run_table(*, run: AnalysisRun, name: str) -> pd.DataFrame:
    if name not in run_table_names(run=run):
        raise KeyError(name)
    return pd.read_csv(Path(run.result_dir) / f"{name}.tsv", sep="\t")


def run_summary(*, run: AnalysisRun) -> dict:
    path = Path(run.result_dir) / "summary.json" if run.result_dir else None
    return json.loads(path.read_text()) if path and path.exists() else {}
