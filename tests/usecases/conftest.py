"""The demo data the use cases need, loaded once per session into the test database.

Loaded outside the per-test transactions (``django_db_blocker``), so every test sees it; the
data directory is shared too (runs write their results there); the database is flushed when
the session ends, so later test modules start from an empty catalogue.
"""

import pytest
from django.core.management import call_command
from django.test import override_settings

from analysis.models import AnalysisRun
from analysis.runs.selectors import run_table
from analysis.runs.services import analysis_execute, analysis_submit
from tests.conftest import FIXTURES

STEPS = ["collections", "genes", "genesets", "datasets", "libraries", "usecase-libraries"]


@pytest.fixture(scope="session")
def usecase_dirs(tmp_path_factory):
    data = tmp_path_factory.mktemp("usecase-data")
    return {"DATA_DIR": data, "LIBRARY_STORE_DIR": data / "libraries", "MEDIA_ROOT": data / "media"}


@pytest.fixture(scope="session")
def usecase_catalogue(django_db_setup, django_db_blocker, usecase_dirs):
    from signatures.demo import demo_load

    with django_db_blocker.unblock(), override_settings(**usecase_dirs):
        demo_load(root=FIXTURES, log=lambda line: None, only=STEPS)
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def usecase_data(usecase_catalogue, _isolated_data_dir, settings, usecase_dirs):
    """Use in a test (with ``django_db``) to see the use-case catalogue and its files."""
    for key, value in usecase_dirs.items():
        setattr(settings, key, value)
    from signatures import io

    io.library_open.cache_clear()


def submit(kind: str, params: dict) -> AnalysisRun:
    """Submit and execute an analysis (the test transaction never commits, so the queue's
    on-commit hook does not fire: execute it here, as the task would), as one anonymous
    browser session that submitted every anonymous run so far."""
    mine = AnalysisRun.objects.filter(owner=None).values_list("pk", flat=True)
    run = analysis_submit(user=None, kind=kind, params=params, session_runs=list(mine))
    run = analysis_execute(run_id=run.pk)
    assert run.status == "succeeded", run.error
    return run


def table(run: AnalysisRun, name: str):
    return run_table(run=run, name=name)
