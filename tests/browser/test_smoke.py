"""The portal opens in a real browser with its own CSS and no console errors."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_home_page_renders_in_chromium_without_console_errors(live_server, page):
    page.goto(live_server.url + "/")
    assert page.title()
    assert page.locator("header.site-header").is_visible()
    css = page.evaluate("getComputedStyle(document.querySelector('.site-header')).display")
    assert css == "flex"  # the project's stylesheet was served and applied
    screenshot(page, "home")
    assert page.console_errors == []
