"""Workflow 2 in Chromium: on a dataset page, choose infected vs mock samples, build an edgeR
signature, see the volcano and heatmap, then query a library with it in one click."""

import pytest

from analysis.models import AnalysisRun
from tests.analysis.build.test_workflow_build import make_ace2_dataset
from tests.analysis.connectivity.test_workflow_query import make_query_library
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_builds_a_signature_from_a_dataset_and_queries_with_it(live_server, page):
    make_ace2_dataset()
    make_query_library()
    page.goto(live_server.url + "/datasets/ACE2_TEST/")
    page.locator("#build-signature a.button").click()
    page.wait_for_url("**/datasets/ACE2_TEST/build/")
    page.select_option("select[data-role=treatment][data-field=condition]", "SARS-CoV-2")
    page.select_option("select[data-role=baseline][data-field=condition]", "Mock")
    page.locator("#treatment-count", has_text="6 samples").wait_for()
    page.locator("#baseline-count", has_text="6 samples").wait_for()
    assert page.input_value("input[name=treatment]") == "condition=SARS-CoV-2"
    assert page.input_value("select[name=method]") == "edger-ql"  # raw counts
    screenshot(page, "workflow2_build_form")
    page.click("#build-run")
    page.wait_for_url("**/runs/*/")
    assert page.locator("#run-status-text").inner_text() == "Succeeded"
    assert page.locator(".figures canvas").count() >= 1
    page.locator(".figures canvas").first.wait_for(state="attached")
    assert page.locator("a[data-format=gct]").count() >= 1
    screenshot(page, "workflow2_signature")
    build = AnalysisRun.objects.get(kind="build_signature")
    print(
        f"\nworkflow 2 build run wall time: {(build.finished - build.started).total_seconds():.2f} s"
    )
    page.select_option("#connectivity-with-signature select[name=library]", "query-lib")
    page.click("#connectivity-with-signature button")
    page.wait_for_url("**/runs/*/")
    assert page.locator("#run-status-text").inner_text() == "Succeeded"
    assert page.locator("table[data-table=connections] tbody tr").count() > 0
    screenshot(page, "workflow2_connectivity")
    assert page.console_errors == []
