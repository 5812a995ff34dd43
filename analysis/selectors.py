"""Read-side queries for analysis runs, with visibility rules."""

import json
from pathlib import Path

import pandas as pd
from django.db.models import Q, QuerySet

from analysis.models import AnalysisRun


def run_list_visible(*, user) -> QuerySet[AnalysisRun]:
    """Runs a user may see: their own and public ones; staff see all."""
    runs = AnalysisRun.objects.select_related("owner")
    if user is not None and user.is_authenticated and user.is_staff:
        return runs
    if user is not None and user.is_authenticated:
        return runs.filter(Q(owner=user) | Q(is_public=True))
    return runs.filter(is_public=True)


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
