"""The one visibility rule of analyses: what a viewer may read, and which runs they may change.

A *viewer* (``analysis.runs.registry.Submitter``) is a user (or nobody) plus the runs of their
browser session. What a viewer may read is decided by each app's selector, and nowhere else:

- datasets: ``catalog.selectors.dataset_list`` (published ones, the owner's, all for staff);
- libraries and their signatures: ``signatures.selectors.library_list`` / ``signature_list``
  (published ones, all for staff);
- runs: ``analysis.runs.selectors.run_list_visible`` (public ones, the owner's, the session's, all
  for staff).

Run validators read the catalogue through the ``visible_*`` functions below, which use the
submitter that ``analysis.runs.registry.validate_params`` sets; pages and the API build a viewer
from the request (``viewer_of``). Outside validation the viewer is nobody in particular, who
sees published objects only. A run is changed (cancelled, run again) only by its owner, by the
browser session that submitted it anonymously, or by staff (``run_can_edit``).
"""

from __future__ import annotations

from django.db.models import QuerySet

from analysis.models import AnalysisRun
from analysis.runs.registry import RunInputError, Submitter, current_submitter, submitting_as
from analysis.runs.selectors import run_list_visible
from catalog.models import Dataset
from catalog.selectors import dataset_list
from signatures.models import Signature, SignatureLibrary
from signatures.selectors import library_list, signature_list

__all__ = [
    "Submitter",
    "parse_run_id",
    "run_can_edit",
    "submitting_as",
    "viewer_of",
    "visible_datasets",
    "visible_libraries",
    "visible_run",
    "visible_runs",
    "visible_signatures",
]


def viewer_of(request) -> Submitter:
    """The viewer a request stands for: its user and its browser session's runs."""
    from analysis.runs.session import session_runs

    return Submitter(user=request.user, session_runs=tuple(session_runs(request)))


def visible_libraries() -> QuerySet[SignatureLibrary]:
    return library_list(user=current_submitter().user)


def visible_signatures() -> QuerySet[Signature]:
    return signature_list(user=current_submitter().user)


def visible_datasets() -> QuerySet[Dataset]:
    return dataset_list(user=current_submitter().user)


def visible_runs() -> QuerySet[AnalysisRun]:
    submitter = current_submitter()
    return run_list_visible(user=submitter.user, session_runs=list(submitter.session_runs))


def parse_run_id(value) -> int:
    """A run id as given in JSON or a form: a positive whole number (or its digits)."""
    if isinstance(value, bool):
        raise RunInputError(f"a run id must be a whole number, not {value!r}")
    if isinstance(value, int) and value > 0:
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) < 19 and int(text) > 0:
        return int(text)
    shown = repr(value) if len(repr(value)) <= 40 else type(value).__name__
    raise RunInputError(f"a run id must be a whole number, not {shown}")


def visible_run(value) -> AnalysisRun | None:
    """The run with that id if the current submitter may read it, else None (whether it
    does not exist or is someone else's private run is not told apart)."""
    return visible_runs().filter(pk=parse_run_id(value)).first()


def run_can_edit(*, viewer: Submitter, run: AnalysisRun) -> bool:
    """Whether ``viewer`` may cancel or re-run ``run``: staff, its owner, or (for a run
    submitted anonymously) the browser session that submitted it."""
    user = viewer.user
    if user is not None and user.is_authenticated and (user.is_staff or run.owner_id == user.pk):
        return True
    return run.owner_id is None and run.pk in viewer.session_runs
