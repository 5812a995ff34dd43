"""Workflow 1 in Chromium: upload the iLINCS LINCSCP_100 file, see the genes recognised, run the
query and read the ranked connections, the perturbagen view and the Bokeh bar chart."""

import pytest

from analysis.models import AnalysisRun
from tests.analysis.connectivity.test_workflow_query import ILINCS_FULL, make_query_library
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_queries_a_library_with_an_uploaded_signature(live_server, page):
    make_query_library()
    page.goto(live_server.url + "/query/")
    page.set_input_files("input[name=file]", str(ILINCS_FULL))
    summary = page.locator("#query-summary")
    summary.get_by_text("978 of 978 genes recognised").wait_for()
    assert "with p-values" in summary.inner_text()
    page.select_option("select[name=library]", "query-lib")
    page.select_option("select[name=metric]", "weighted")
    screenshot(page, "workflow1_query_form")
    page.click("#query-run")
    page.wait_for_url("**/runs/*/")
    assert page.locator("#run-status-text").inner_text() == "Succeeded"
    page.locator(".figures canvas").first.wait_for(state="attached")
    connections = page.locator("table[data-table=connections]")
    assert connections.locator("tbody tr").first.locator("td").first.inner_text() == "QSIG_07"
    assert connections.locator("a[href='/signatures/QSIG_07/']").count() == 1
    assert page.locator("table[data-table=perturbagens] tbody tr").count() == 3
    connections.locator("th", has_text="similarity").click()  # ascending: most negative first
    first = connections.locator("tbody tr").first.locator("td").nth(1).inner_text()
    assert float(first) < 0
    page.locator("[data-table-card=connections] .table-filter").fill("randomide")
    assert connections.locator("tbody tr").count() == 8
    screenshot(page, "workflow1_connections")
    run = AnalysisRun.objects.get()
    print(f"\nworkflow 1 run wall time: {(run.finished - run.started).total_seconds():.2f} s")
    assert page.console_errors == []
