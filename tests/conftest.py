"""Shared fixtures: isolated data dir, synchronous jobs, the R oracle and shared data."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
ORACLE = SHARED / "oracle"
FIXTURES = ROOT / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(reason: str) -> None:
    """A missing tool skips locally but fails in CI: CI never skips silently."""
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def rscript() -> str:
    path = shutil.which("Rscript")
    if path is None:
        require_tool(
            "Rscript is not installed: apt-get install r-base-core r-bioc-limma r-bioc-edger"
        )
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        require_tool(f"the shared data folder {SHARED_DATA} is missing")
    return SHARED_DATA


@pytest.fixture(scope="session")
def oracle_dir() -> Path:
    if not ORACLE.is_dir():
        require_tool(f"the R oracle folder {ORACLE} is missing")
    return ORACLE


@pytest.fixture(autouse=True)
def _isolated_data_dir(request, tmp_path_factory):
    """Every Django test writes libraries and uploads into its own temporary folder."""
    if "settings" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        yield
        return
    settings = request.getfixturevalue("settings")
    data = tmp_path_factory.mktemp("portal-data")
    settings.DATA_DIR = data
    settings.LIBRARY_STORE_DIR = data / "libraries"
    settings.MEDIA_ROOT = data / "media"
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    # A cache per process, so that query counts measure the view and not the throttles'
    # shared cache; tests/reliability/test_throttling.py runs on the shared ones.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()  # and each test starts with no requests counted against the rate limits
    from signatures import io

    io.library_open.cache_clear()
    yield
    io.library_open.cache_clear()
