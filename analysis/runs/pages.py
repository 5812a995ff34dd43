"""Figures shown on a finished run's page, per kind (Bokeh components).

Each feature's ``figures`` module (``analysis.apps.FIGURE_MODULES``) has a ``FIGURES`` dict:
kind -> a function taking the run and returning a list of Bokeh models (built by
``analysis.plots`` from the run's result tables). ``run_figures`` looks the run's kind up in
them, loading them on first use (only pages draw figures; workers never import Bokeh's
embedding).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module

from bokeh.embed import components
from django.conf import settings

from analysis import plots
from analysis.apps import FIGURE_MODULES
from analysis.models import AnalysisRun


@cache
def figure_makers() -> dict[str, Callable[[AnalysisRun], list]]:
    makers: dict[str, Callable[[AnalysisRun], list]] = {}
    for module in FIGURE_MODULES:
        makers.update(import_module(module).FIGURES)
    return makers


def run_figures(*, run: AnalysisRun) -> dict | None:
    """Return {"js": [...], "script": ..., "divs": [...]} for the run's plots, or None."""
    make = figure_makers().get(run.kind)
    if make is None or not run.result_dir:
        return None
    figures = make(run)
    if not figures:
        return None
    script, divs = components(figures)
    return {
        "js": plots.bokeh_js_urls(static_url=settings.STATIC_URL),
        "script": script,
        "divs": divs,
    }
