"""Use case 2 in Chromium: RPPA and mRNA LumA vs Her2 signatures, concordance, enrichment."""

import pytest

from tests.browser.usecase_helpers import (
    Clock,
    build,
    column,
    load,
    open_tutorial,
    shot,
    tutorial_step,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SLUG = "breast-cancer-proteogenomics"


def test_a_biologist_follows_the_breast_cancer_tutorial(live_server, page):
    print(
        f"\ndemo data loaded in {load('genes', 'genesets', 'datasets', 'usecase-libraries'):.1f} s"
    )
    base = live_server.url
    clock = Clock("use case 2 (breast cancer)")
    open_tutorial(page, base, SLUG)
    build(page, "build-protein", "pam50_subtype=LumA", "pam50_subtype=Her2")
    clock.lap("protein signature")
    genes = column(page, "top_genes", "gene")
    assert {"ER-alpha", "PR", "HER2", "HER2_pY1248"} <= set(genes[:8])
    shot(page, "uc2_protein_signature")
    open_tutorial(page, base, SLUG)
    build(page, "build-mrna", "pam50_subtype=LumA", "pam50_subtype=Her2")
    clock.lap("mRNA signature")
    page.goto(f"{base}/tutorials/{SLUG}/")
    page.locator("#step-concordance a.button").click()
    page.wait_for_url("**/concordance/**")
    page.locator(".figures canvas").first.wait_for(state="attached")
    clock.lap("concordance")
    assert page.locator(".concordance-panel").count() == 2
    shot(page, "uc2_concordance")
    tutorial_step(page, base, SLUG, "enrich")
    clock.lap("enrichment")
    terms = column(page, "enrichment", "term")
    assert terms[0] in {"HALLMARK_G2M_CHECKPOINT", "HALLMARK_ESTROGEN_RESPONSE_EARLY"}
    shot(page, "uc2_enrichment")
    tutorial_step(page, base, SLUG, "connect")
    clock.lap("connectivity")
    assert len(column(page, "connections", "perturbagen")) >= 10
    clock.report()
    assert page.console_errors == []
