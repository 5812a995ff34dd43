"""HTML pages of analysis runs: the run page with live progress, the user's runs, cancel and
run again, and result-table downloads in every format."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from analysis.models import AnalysisRun
from analysis.runs.downloads import FORMATS, table_download
from analysis.runs.registry import RunInputError
from analysis.runs.selectors import run_summary, run_table, run_table_names
from analysis.runs.services import analysis_cancel, analysis_rerun
from analysis.runs.session import remember_run, runs_visible_to, session_runs
from analysis.runs.visibility import parse_run_id, run_can_edit, viewer_of
from ilincs_site.throttling import throttle_posts

PREVIEW_ROWS = 200


def _visible_run(request, run_id) -> AnalysisRun:
    """The run if the request's viewer may read it; 404 otherwise (or for a malformed id)."""
    try:
        pk = parse_run_id(run_id)
    except RunInputError:
        raise Http404("no such analysis run") from None
    run = runs_visible_to(request).filter(pk=pk).first()
    if run is None:
        raise Http404("no such analysis run")
    return run


def _editable_run(request, run_id) -> AnalysisRun:
    """The run if the request's viewer may change it (as the API's permission decides)."""
    run = _visible_run(request, run_id)
    if not run_can_edit(viewer=viewer_of(request), run=run):
        raise PermissionDenied("only the run's owner or staff may change it")
    return run


def run_detail(request, run_id: int):
    run = _visible_run(request, run_id)
    tables = []
    for name in run_table_names(run=run):
        frame = run_table(run=run, name=name)
        tables.append(
            {
                "name": name,
                "count": len(frame),
                "columns": list(frame.columns),
                "rows": frame.head(PREVIEW_ROWS).itertuples(index=False),
            }
        )
    from analysis.runs.pages import run_figures  # plots are optional per kind

    context = {
        "run": run,
        "params_display": params_for_display(run.params),
        "tables": tables,
        "summary": run_summary(run=run),
        "figures": run_figures(run=run) if run.status == "succeeded" else None,
        "can_edit": run_can_edit(viewer=viewer_of(request), run=run),
    }
    return render(request, "analysis/run_detail.html", context)


def params_for_display(value, *, keep: int = 5):
    """Parameters as readable JSON: long lists (inline queries) shortened to their first items
    and their length; the run's full parameters stay in the API and the reproducibility record."""

    def shorten(item):
        if isinstance(item, dict):
            return {key: shorten(v) for key, v in item.items()}
        if isinstance(item, list) and len(item) > keep:
            return [*map(shorten, item[:keep]), f"… {len(item)} values in all"]
        return item

    return json.dumps(shorten(value), indent=2, default=str, ensure_ascii=False)


def run_list(request):
    """The user's own runs (and, for anonymous users, those of this browser session)."""
    mine = Q(pk__in=session_runs(request))
    if request.user.is_authenticated:
        mine |= Q(owner=request.user)
    runs = AnalysisRun.objects.filter(mine)
    return render(request, "analysis/run_list.html", {"runs": runs[:200]})


@require_POST
def run_cancel(request, run_id: int):
    run = _editable_run(request, run_id)
    analysis_cancel(run=run)
    messages.info(request, "The run was cancelled.")
    return redirect("analysis:run-detail", run_id=run.pk)


@require_POST
@throttle_posts
def run_again(request, run_id: int):
    run = _editable_run(request, run_id)
    try:
        new = analysis_rerun(run=run, user=request.user, session_runs=session_runs(request))
    except RunInputError as exc:  # e.g. its library or source is gone since
        messages.error(request, f"This run cannot be run again: {exc}")
        return redirect("analysis:run-detail", run_id=run.pk)
    remember_run(request, new)
    return redirect("analysis:run-detail", run_id=new.pk)


def run_table_file(request, run_id: int, name: str, fmt: str):
    """A result table as TSV, CSV, Excel or (signatures) GCT."""
    run = _visible_run(request, run_id)
    if fmt not in FORMATS:
        raise Http404("no such format")
    try:
        frame = run_table(run=run, name=name)
    except KeyError:
        raise Http404(f"no table {name!r}") from None
    try:
        file = table_download(frame, fmt=fmt, stem=f"run{run.pk}_{name}")
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response
