"""The runs of a browser session: anonymous visitors find their own runs through it."""

from django.db.models import QuerySet

from analysis.models import AnalysisRun
from analysis.runs.selectors import run_list_visible

SESSION_KEY = "my_runs"
REMEMBERED = 100


def session_runs(request) -> list[int]:
    """Ids of the runs submitted from this browser session (none without a session)."""
    session = getattr(request, "session", None)
    return list(session.get(SESSION_KEY, [])) if session is not None else []


def remember_run(request, run: AnalysisRun) -> None:
    request.session[SESSION_KEY] = [*session_runs(request)[-(REMEMBERED - 1) :], run.pk]


def runs_visible_to(request) -> QuerySet[AnalysisRun]:
    """Runs the request's user may see, their session's own runs included."""
    return run_list_visible(user=request.user, session_runs=session_runs(request))
