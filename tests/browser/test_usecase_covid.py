"""Use case 3 in Chromium: SARS-CoV-2 signature (edgeR), enrichment, reversing compounds."""

import pytest

from tests.browser.usecase_helpers import (
    Clock,
    build,
    column,
    connect,
    load,
    open_tutorial,
    shot,
    tutorial_step,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "covid-19"


def test_a_biologist_follows_the_covid_tutorial(live_server, page):
    print(f"\ndemo data loaded in {load('genes', 'genesets', 'datasets', 'libraries'):.1f} s")
    base = live_server.url
    clock = Clock("use case 3 (COVID-19)")
    open_tutorial(page, base, SLUG)
    build(
        page,
        "build",
        "series=16 & condition=SARS-CoV-2",
        "series=16 & condition=Mock",
        filter_by_expr=True,
    )
    clock.lap("edgeR signature")
    top = set(column(page, "top_genes", "symbol"))  # the 100 smallest p-values
    assert len({"IFIT1", "IFIT2", "IFIT3", "MX1", "ISG15", "OAS2", "IFNB1"} & top) >= 2
    shot(page, "uc3_infection_signature")
    connect(page, "lincs-modz-272")
    clock.lap("connectivity")
    assert column(page, "connections", "perturbagen")[0] == "atorvastatin"
    shot(page, "uc3_connections")
    tutorial_step(page, base, SLUG, "enrich")
    clock.lap("enrichment")
    terms = column(page, "enrichment", "term")
    assert terms[0] == "HALLMARK_TNFA_SIGNALING_VIA_NFKB"
    assert "HALLMARK_INTERFERON_ALPHA_RESPONSE" in terms[:6]
    shot(page, "uc3_enrichment")
    clock.report()
    assert page.console_errors == []
