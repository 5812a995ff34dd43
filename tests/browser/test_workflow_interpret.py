"""Workflows 3-5 in a real browser: signature page -> enrichment -> pathway page, group
analysis, and saving to a personal collection shared by a read-only link."""

import re
import time

import pytest
from django.contrib.auth import get_user_model

from tests.analysis.interpret import data as interpret_data
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VORINOSTAT = "vorinostat__SKB__trt_cp"
TSA = "trichostatin-a__SKB__trt_cp"


@pytest.fixture
def demo(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    interpret_data.load_genes()
    interpret_data.load_genesets("hallmark")
    interpret_data.load_skb()


def wait_for_run(page, timeout=60):
    """The run page reloads itself when the run ends; wait for the final status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = page.locator("#run-status").get_attribute("data-status")
        if status in {"succeeded", "failed", "cancelled"}:
            return status
        page.wait_for_timeout(300)
        page.reload()
    raise AssertionError("the run did not finish")


def test_signature_page_to_enrichment_to_pathway_page(live_server, page, demo):
    started = time.monotonic()
    page.goto(f"{live_server.url}/signatures/{VORINOSTAT}/")
    page.locator("#signature-values").wait_for()
    assert page.locator(".bk-Canvas, .bk-root, div.bk-Figure").count() > 0
    page.get_by_role("button", name="Enrichment (top genes)").click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    assert wait_for_run(page) == "succeeded"
    screenshot(page, "workflow3_enrichment_run")
    term_link = page.locator("table.result-table a[href^='/pathways/']").first
    term_link.wait_for()
    term_link.click()
    page.wait_for_url(re.compile(r"/pathways/hallmark/\?term=HALLMARK_"))
    assert "HALLMARK_" in page.content()
    screenshot(page, "workflow3_pathway")
    print(f"signature page -> enrichment -> pathway: {time.monotonic() - started:.1f} s")
    assert page.csp_violations == []
    assert page.console_errors == []


def test_group_analysis_and_a_shared_collection(live_server, page, demo):
    user = get_user_model().objects.create_user("gina", password="pw-gina-123456")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-gina-123456")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()

    page.goto(
        f"{live_server.url}/group-analysis/?signatures={VORINOSTAT},{TSA},HC-toxin__SKB__trt_cp"
    )
    page.get_by_role("button", name="Analyse the group").click()
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    assert wait_for_run(page) == "succeeded"
    assert page.locator(".bk-Canvas, .bk-root, div.bk-Figure").count() > 0
    screenshot(page, "workflow4_group_analysis")

    page.goto(f"{live_server.url}/signatures/{VORINOSTAT}/")
    page.fill("#save-to-collection input[name=new_name]", "HDAC inhibitors")
    page.locator("#save-to-collection button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/my/collections/")
    page.get_by_role("link", name="HDAC inhibitors").click()
    page.wait_for_load_state()
    assert VORINOSTAT in page.content()
    screenshot(page, "workflow5_collection")
    assert page.csp_violations == []
    assert page.console_errors == []
