"""Use case 1 in Chromium: torin-2 signature -> connected compounds -> enrichment -> targets."""

import pytest

from tests.browser.usecase_helpers import (
    Clock,
    build,
    column,
    connect,
    finished,
    load,
    open_tutorial,
    shot,
    tutorial_step,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "mtor-inhibition"


def test_a_biologist_follows_the_mtor_tutorial(live_server, page):
    print(
        f"\ndemo data loaded in {load('genes', 'genesets', 'datasets', 'libraries', 'usecase-libraries'):.1f} s"
    )
    base = live_server.url
    clock = Clock("use case 1 (mTOR)")
    open_tutorial(page, base, SLUG)
    shot(page, "uc1_tutorial")
    build(page, "build", "pert_iname=torin-2", "pert_iname=DMSO")
    clock.lap("build")
    shot(page, "uc1_torin2_signature")
    connect(page, "lincs-ljp005-a375")
    clock.lap("connectivity")
    names = column(page, "connections", "perturbagen")
    assert names[:2] == ["torin-2", "NVP-BEZ235"]
    shot(page, "uc1_connections")
    tutorial_step(page, base, SLUG, "enrich")
    clock.lap("enrichment")
    assert "HALLMARK_MTORC1_SIGNALING" in column(page, "enrichment", "term")
    shot(page, "uc1_enrichment")
    tutorial_step(page, base, SLUG, "targets")
    clock.lap("targets")
    assert {"MTOR inhibitor", "PIK3CA"} & set(column(page, "terms", "term")[:4])
    tutorial_step(page, base, SLUG, "target-pathways")
    clock.lap("target pathways")
    terms = [t.lower() for t in column(page, "enrichment", "term")[:5]]
    assert any(t.startswith("pi3k-akt signaling pathway") for t in terms)
    shot(page, "uc1_target_pathways")
    page.goto(f"{base}/tutorials/{SLUG}/")
    page.locator("#step-everolimus button").click()
    finished(page)
    clock.lap("P100 everolimus")
    assert column(page, "connections", "perturbagen")[0].lower() == "everolimus"
    shot(page, "uc1_p100_everolimus")
    clock.report()
    assert page.console_errors == []
