"""CSRF, secure cookies, the deployment checklist and API throttling."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from tests.conftest import ROOT


def _production_env(tmp_path) -> dict:
    return {
        # the environment of a deployment: nothing the test runner set for itself
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "portal.example.org",
        "DJANGO_SECURE_SSL_REDIRECT": "1",
        "DJANGO_HSTS_SECONDS": "31536000",  # README: these two, nothing more, behind TLS
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
    }


def test_the_deployment_checklist_is_clean_with_production_settings(tmp_path):
    env = _production_env(tmp_path)
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "no issues" in check.stdout
    probe = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.DEBUG)"
    )
    shown = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.stdout.split() == ["True", "True", "True", "True", "31536000", "False"]


def _deploy_check(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deployment_checklist_names_exactly_what_an_operator_turned_off(tmp_path):
    env = {
        **_production_env(tmp_path),
        "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "0",
        "DJANGO_HSTS_PRELOAD": "0",
    }
    check = _deploy_check(env)
    assert check.returncode == 0, check.stderr
    warned = sorted(set(re.findall(r"\(security\.(W\d+)\)", check.stderr + check.stdout)))
    assert warned == ["W005", "W021"]
    without_tls = {**_production_env(tmp_path), "DJANGO_SECURE_SSL_REDIRECT": "0"}
    without_tls.pop("DJANGO_HSTS_SECONDS")
    warned = re.findall(r"\(security\.(W\d+)\)", _deploy_check(without_tls).stderr)
    assert sorted(warned) == ["W004", "W008"]  # README: what remains without TLS


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**_production_env(tmp_path), "DJANGO_SECRET_KEY": ""}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in done.stderr


@pytest.mark.django_db
def test_forms_and_session_api_writes_need_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["owner"])
    run = world.private_run
    assert client.post(f"/runs/{run.pk}/cancel/").status_code == 403
    body = {"kind": "connectivity", "params": {}}
    response = client.post("/api/v1/analyses/", body, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    client.get("/query/")  # the form page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(f"/runs/{run.pk}/cancel/", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 302


@pytest.mark.django_db
def test_pages_refuse_framing_and_content_sniffing(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def low_rates(monkeypatch):
    # DRF binds the rates at import time, so the class attribute is what a test can lower.
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": "5/minute"}
    )
    # one fixed window for the whole test, whatever the clock (the counts are per window)
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_000_020.0)
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("role, allowed", [("anonymous", 3), ("registered", 5)])
def test_the_api_throttles_anonymous_and_registered_clients(world, low_rates, role, allowed):
    client = Client()
    if role == "registered":
        client.force_login(world.users["registered"])
    codes = [client.get("/api/v1/datasets/").status_code for _ in range(allowed + 2)]
    assert codes == [200] * allowed + [429, 429]
    response = client.get("/api/v1/genes/")
    assert response.status_code == 429
    assert "Retry-After" in response


@pytest.mark.django_db
def test_connectivity_queries_count_against_the_anonymous_rate(world, low_rates):
    client = Client()
    body = {"library": "public-lib", "metric": "pearson", "query": {"genes": ["RELG1"]}}
    codes = [
        client.post("/api/v1/connectivity/", body, content_type="application/json").status_code
        for _ in range(5)
    ]
    assert codes[-2:] == [429, 429]


@pytest.mark.django_db
def test_a_throttled_client_is_told_when_to_retry_and_is_served_again_then(
    world, low_rates, monkeypatch
):
    client = Client()
    codes = [client.get("/api/v1/datasets/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    retry = client.get("/api/v1/datasets/")["Retry-After"]
    assert 0 < int(retry) <= 60
    monkeypatch.setattr(SimpleRateThrottle, "timer", lambda self: 1_000_020.0 + int(retry))
    assert client.get("/api/v1/datasets/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "referer, expected",
    [("https://evil.example/x", "/"), ("/signatures/?q=x", "/signatures/?q=x")],
)
def test_a_launch_that_starts_nothing_goes_back_only_to_a_page_of_this_site(
    world, client, monkeypatch, referer, expected
):
    from analysis.interpret import views as views_interpret
    from analysis.runs.registry import RunInputError

    def refuse(**kwargs):
        raise RunInputError("no gene-set library")

    monkeypatch.setattr(views_interpret, "analysis_submit", refuse)
    response = client.post(
        "/interpret/launch/",
        {"kind": "gsea", "signature": world.public_signature.accession},
        headers={"referer": referer},
    )
    assert response.status_code == 302
    assert response.url == expected


@pytest.mark.django_db
def test_every_inline_script_of_a_plot_page_carries_the_policy_nonce(world, client):
    import re

    from analysis.templatetags.figures import bokeh_script

    page = client.get("/")
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]

    class Request:
        csp_nonce = "n0nce"

    class Context:
        request = Request()

    script = '<script type="application/json" id="p1">{}</script>\n<script>Bokeh.go()</script>'
    html = bokeh_script(Context(), script)
    assert re.findall(r"<script[^>]*>", html) == [
        '<script nonce="n0nce" type="application/json" id="p1">',
        '<script nonce="n0nce">',
    ]


def test_no_template_has_an_inline_script_or_event_handler():
    """The policy runs no inline script without the nonce: a template's scripts are files
    (Bokeh's generated one goes through {% bokeh_script %})."""
    import re

    bad = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)[^>]*>", r"\son[a-z]+\s*=", r"javascript:"):
            bad += [f"{path.relative_to(ROOT)}: {m}" for m in re.findall(pattern, text)]
    assert bad == []
