"""Figures shown on a finished run's page, per kind (Bokeh components)."""

from __future__ import annotations

from analysis.models import AnalysisRun


def run_figures(*, run: AnalysisRun) -> dict | None:
    """Return {"script": ..., "divs": [...]} for the run's plots, or None."""
    return None
