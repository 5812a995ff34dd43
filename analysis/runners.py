"""What each analysis kind does: a registry of runner functions.

A runner takes the run's validated parameters and a ``Progress`` and returns a ``RunResult``
(tables and a JSON summary). Runners call selectors, ``signatures.io`` and the engine; they
never touch the run row themselves (``analysis.services`` does that).
"""

from __future__ import annotations

from collections.abc import Callable
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

_RUNNERS: dict[str, Runner] = {}
_VALIDATORS: dict[str, Validator] = {}


def register(kind: str, *, validate: Validator | None = None) -> Callable[[Runner], Runner]:
    """Register the runner of ``kind``; ``validate`` cleans parameters at submit time."""

    def decorate(fn: Runner) -> Runner:
        _RUNNERS[kind] = fn
        if validate is not None:
            _VALIDATORS[kind] = validate
        return fn

    return decorate


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


def validate_params(kind: str, params: dict, *, submitter: Submitter | None = None) -> dict:
    """Cleaned parameters, or RunInputError naming what is wrong (as seen by ``submitter``;
    nobody in particular, i.e. public objects only, when it is None)."""
    runner_for(kind)
    if not isinstance(params, dict):
        raise RunInputError("params must be a JSON object")
    validator = _VALIDATORS.get(kind)
    token = _SUBMITTER.set(submitter or Submitter())
    try:
        return validator(params) if validator else params
    finally:
        _SUBMITTER.reset(token)


def registered_kinds() -> list[str]:
    return sorted(_RUNNERS)
