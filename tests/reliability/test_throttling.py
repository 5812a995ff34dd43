"""Rate limits counted in one cache shared by every process, for the API and the forms.

The portal runs several gunicorn workers and a queue worker; a limit counted in each
process's memory is really the limit times the number of workers. These tests count in two
separate processes against the database cache (the default) and Redis (REDIS_URL).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import ROOT, require_tool

REDIS_TEST_URL = "redis://127.0.0.1:6379/11"
# A day's window, so that the two processes never straddle a window boundary.
REQUESTS = """
import sys
import django
django.setup()
from django.test import Client
client = Client()
print(" ".join(str(client.get("/api/v1/datasets/").status_code) for _ in range(int(sys.argv[1]))))
"""


def _env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "ilincs_site.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_THROTTLE_ANON": "4/day",
        **extra,
    }


def _run(args: list[str], env: dict) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()


def _redis_env(tmp_path) -> dict:
    try:
        import redis

        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).flushdb()
    except Exception:  # noqa: BLE001 - any failure means there is no Redis to test with
        require_tool(f"no Redis at {REDIS_TEST_URL}")
    return _env(tmp_path, REDIS_URL=REDIS_TEST_URL)


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_processes_draw_on_one_count(tmp_path, backend):
    env = _env(tmp_path) if backend == "database" else _redis_env(tmp_path)
    _run(["manage.py", "migrate", "--noinput", "-v", "0"], env)  # creates the cache table
    assert _run(["-c", REQUESTS, "3"], env) == "200 200 200"
    assert _run(["-c", REQUESTS, "3"], env) == "200 429 429"  # another process, same count


@pytest.fixture
def low_rate(monkeypatch, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "ilincs_site.cache.DatabaseCache",
            "LOCATION": settings.CACHE_TABLE,
        }
    }
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "1/minute", "user": "1/minute"}
    )
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_000_020.0)
    cache.clear()
    yield
    cache.clear()


SUBMISSIONS = [
    ("query page", lambda w: "/query/", {}),
    ("query upload check", lambda w: "/query/recognise/", {}),
    ("build page", lambda w: f"/datasets/{w.public_dataset.accession}/build/", {}),
    ("interpret launch", lambda w: "/interpret/launch/", {"kind": "gsea"}),
    ("group analysis", lambda w: "/group-analysis/", {}),
    ("tutorial step", lambda w: "/tutorials/covid-19/steps/signature/", {}),
    ("run again", lambda w: f"/runs/{w.public_run.pk}/again/", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "registered"])
@pytest.mark.parametrize("name, url, data", SUBMISSIONS, ids=[s[0] for s in SUBMISSIONS])
def test_analysis_forms_share_the_api_rate_and_answer_429_past_it(
    world, low_rate, role, name, url, data
):
    client = Client()
    if role == "registered":
        client.force_login(world.users["registered"])
    assert client.get("/api/v1/datasets/").status_code == 200  # the minute's one request
    before = world.public_run.__class__.objects.count()
    response = client.post(url(world), data)
    assert response.status_code == 429
    assert "Please wait" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 60
    assert world.public_run.__class__.objects.count() == before  # nothing was submitted
    assert client.get(url(world)).status_code != 429  # pages themselves are not throttled


@pytest.mark.django_db
def test_a_client_cannot_escape_the_rate_by_writing_its_own_forwarded_for(world, low_rate):
    client = Client()
    codes = [
        client.get("/api/v1/datasets/", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(3)
    ]
    assert codes == [200, 429, 429]


INCREMENTS = """
import django
django.setup()
from django.core.cache import cache
for _ in range(25):
    cache.incr("count")
"""
EXPIRY = """
import django
django.setup()
from django.core.cache import cache
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT expires FROM portal_cache")
    print(cursor.fetchone()[0])
"""


def test_the_database_cache_counts_concurrent_increments_once_each_and_keeps_the_expiry(
    tmp_path,
):
    env = _env(tmp_path)
    _run(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    _run(
        [
            "-c",
            "import django; django.setup(); from django.core.cache import cache;"
            " cache.add('count', 0, 3600)",
        ],
        env,
    )
    expires = _run(["-c", EXPIRY], env)
    workers = [
        subprocess.Popen([sys.executable, "-c", INCREMENTS], cwd=ROOT, env=env) for _ in range(4)
    ]
    assert [worker.wait(timeout=300) for worker in workers] == [0] * 4
    count = "import django; django.setup(); from django.core.cache import cache; print(cache.get('count'))"
    assert _run(["-c", count], env) == "100"  # Django's get-then-set incr loses some
    assert _run(["-c", EXPIRY], env) == expires  # Django's moves it to the 300 s default
