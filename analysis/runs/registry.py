"""What each analysis kind does: a registry of runner functions.

A runner takes the run's validated parameters and a ``Progress`` and returns a ``RunResult``
(tables and a JSON summary). Runners call selectors, ``signatures.io`` and the engine; they
never touch the run row themselves (``analysis.runs.services`` does that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import pandas as pd


class RunCancelled(Exception):
    """Raised inside a runner when the user cancelled the run."""


class RunInputError(ValueError):
    """Parameters that cannot be run; the message is shown to the user."""


@dataclass
class RunResult:
    """Tables (written as TSV) and a small JSON-able summary."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    library_version: str = ""
    input_checksum: str = ""


ProgressFn = Callable[[int, str], None]
Runner = Callable[[dict, ProgressFn], RunResult]


def _never_cancelled() -> None:
    return None


def checkpoint(progress: ProgressFn) -> Callable[[], None]:
    """The cancellation check to hand to a long engine loop (``check=``): it raises
    ``RunCancelled`` once the run was cancelled and is cheap enough (it reads the run's status
    at most a few times a second) to be called at every iteration. A no-op when ``progress``
    is a plain function (a runner called outside ``analysis_execute``)."""
    return getattr(progress, "check", _never_cancelled)


Validator = Callable[[dict], dict]

# What a run's parameters may point at, each checked against its submitter by the validator
# (``analysis.runs.visibility``); the visibility test builds its cases from these declarations.
READS = {
    "source": "a signature source: {'signature': accession}, {'run': id} or {'query': {...}}",
    "library": "a signature library, by slug ('library')",
    "dataset": "a dataset, by accession ('dataset')",
    "signatures": "a list of signature accessions ('signatures')",
}

_RUNNERS: dict[str, Runner] = {}
_VALIDATORS: dict[str, Validator] = {}
_READS: dict[str, tuple[str, ...]] = {}


def register(
    kind: str, *, validate: Validator | None = None, reads: tuple[str, ...] | None = None
) -> Callable[[Runner], Runner]:
    """Register the runner of ``kind``; ``validate`` cleans parameters at submit time and
    ``reads`` names what of ``READS`` its parameters may point at (every portal kind says,
    even when it is nothing: ``reads=()``)."""
    unknown = set(reads or ()) - set(READS)
    if unknown:
        raise ValueError(f"unknown inputs {sorted(unknown)}; known: {sorted(READS)}")

    def decorate(fn: Runner) -> Runner:
        _RUNNERS[kind] = fn
        if validate is not None:
            _VALIDATORS[kind] = validate
        if reads is not None:
            _READS[kind] = tuple(reads)
        return fn

    return decorate


def reads_of(kind: str) -> tuple[str, ...] | None:
    """What the parameters of ``kind`` may point at, or None when its module did not say."""
    return _READS.get(kind)


def runner_for(kind: str) -> Runner:
    try:
        return _RUNNERS[kind]
    except KeyError:
        known = ", ".join(registered_kinds()) or "none"
        raise RunInputError(f"unknown analysis kind {kind!r} (known: {known})") from None


@dataclass(frozen=True)
class Submitter:
    """Who submits a run: validators only accept what this user (or browser session) may see."""

    user: object | None = None
    session_runs: tuple[int, ...] = ()


_SUBMITTER: ContextVar[Submitter | None] = ContextVar("submitter", default=None)


def current_submitter() -> Submitter:
    return _SUBMITTER.get() or Submitter()


@contextmanager
def submitting_as(submitter: Submitter | None) -> Iterator[Submitter]:
    """Within the block, ``current_submitter()`` is ``submitter`` (nobody when None)."""
    token = _SUBMITTER.set(submitter or Submitter())
    try:
        yield current_submitter()
    finally:
        _SUBMITTER.reset(token)


def validate_params(kind: str, params: dict, *, submitter: Submitter | None = None) -> dict:
    """Cleaned parameters, or RunInputError naming what is wrong (as seen by ``submitter``;
    nobody in particular, i.e. public objects only, when it is None)."""
    runner_for(kind)
    if not isinstance(params, dict):
        raise RunInputError("params must be a JSON object")
    validator = _VALIDATORS.get(kind)
    with submitting_as(submitter):
        return validator(params) if validator else params


def registered_kinds() -> list[str]:
    return sorted(_RUNNERS)
