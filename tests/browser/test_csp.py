"""The pages, BokehJS and the API docs work under the Content-Security-Policy."""

import pytest
from django.contrib.auth import get_user_model

from tests.analysis.interpret import data as interpret_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VORINOSTAT = "vorinostat__SKB__trt_cp"
PLOTS = ".bk-Canvas, .bk-root, div.bk-Figure"


def test_bokeh_plots_render_under_the_policy_without_violations(live_server, page, settings):
    interpret_data.load_genes()
    interpret_data.load_skb()
    response = page.goto(f"{live_server.url}/signatures/{VORINOSTAT}/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "unsafe-eval" not in policy
    page.locator(PLOTS).first.wait_for()  # BokehJS ran the page's (nonce'd) inline script
    assert page.locator("canvas").count() > 0
    assert page.csp_violations == []
    assert page.console_errors == []


def test_a_script_without_the_nonce_is_refused_and_reported(live_server, page):
    page.goto(f"{live_server.url}/")
    ran = page.evaluate(
        """() => new Promise((resolve) => {
            window.injected = false;
            document.addEventListener("securitypolicyviolation", () => resolve(window.injected));
            const s = document.createElement("script");
            s.textContent = "window.injected = true";
            document.body.appendChild(s);
        })"""
    )
    assert ran is False
    assert any("Content Security Policy" in text for text in page.csp_violations)


@pytest.mark.parametrize("path", ["/", "/api/v1/docs/", "/admin/login/", "/query/", "/datasets/"])
def test_other_pages_work_under_the_policy(live_server, page, path):
    get_user_model().objects.create_user("csp-user", password="pw-csp-123456")
    page.goto(f"{live_server.url}{path}")
    if path == "/api/v1/docs/":
        page.locator(".swagger-ui .info").wait_for()  # Swagger UI started from its file
    page.wait_for_load_state("networkidle")
    assert page.csp_violations == []
    if path != "/admin/login/":  # the admin asks for a /favicon.ico that the portal has not
        assert page.console_errors == []
