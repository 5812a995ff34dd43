"""Shared clicks of the use-case browser tests (docs/tutorials): load the demo steps a use
case needs, follow the tutorial page, save screenshots for the docs and time the clicks."""

import os
import time
from pathlib import Path

from django.test import override_settings

from tests.browser.conftest import screenshot
from tests.conftest import FIXTURES, ROOT

DOCS_IMG = ROOT / "docs" / "tutorials" / "img"


def load(*steps: str) -> float:
    from signatures.demo import demo_load

    start = time.perf_counter()
    demo_load(root=FIXTURES, log=lambda line: None, only=["collections", *steps])
    return time.perf_counter() - start


def shot(page, name: str) -> Path:
    """A screenshot into test-artifacts; with UPDATE_DOCS_SCREENSHOTS=1 also the docs' copy
    (viewport only, to keep the PNGs small), so a test run leaves the tracked images alone."""
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMG / f"{name}.png"))
    return screenshot(page, name)


def open_tutorial(page, base: str, slug: str) -> None:
    page.goto(base + "/tutorials/")
    page.locator(f"#tutorial-list a[href='/tutorials/{slug}/']").click()
    page.wait_for_url(f"**/tutorials/{slug}/")


def build(page, step: str, treatment: str, baseline: str, *, filter_by_expr=False) -> None:
    page.locator(f"#step-{step} a.button").click()
    page.wait_for_url("**/build/")
    page.fill("input[name=treatment]", treatment)
    page.fill("input[name=baseline]", baseline)
    if filter_by_expr:
        page.check("input[name=filter_by_expr]")
    page.locator("#treatment-count").filter(has_text="sample").wait_for()
    page.click("#build-run")
    finished(page)


def finished(page) -> None:
    page.wait_for_url("**/runs/*/")
    assert page.locator("#run-status-text").inner_text() == "Succeeded", page.content()[:2000]


def connect(page, library: str) -> None:
    page.select_option("#connectivity-with-signature select[name=library]", library)
    page.select_option("#connectivity-with-signature select[name=metric]", "pearson")
    page.click("#connectivity-with-signature button")
    finished(page)


def tutorial_step(page, base: str, slug: str, step: str) -> None:
    page.goto(f"{base}/tutorials/{slug}/")
    page.locator(f"#step-{step} button").click()
    finished(page)


def column(page, table: str, name: str) -> list[str]:
    """Every value of a result table's column, in the run's order, as the page's own table
    script loads them (the JSON table endpoint), whatever page of rows is on screen."""
    values = page.evaluate(
        """async ([table, name]) => {
            const url = document.querySelector(`table[data-table="${table}"]`).dataset.url;
            const body = await (await fetch(url + "?limit=100000")).json();
            return body.rows.map((row) => row[name] === null ? "" : String(row[name]));
        }""",
        [table, name],
    )
    return list(values)


class Clock:
    """Wall-clock time of the clicks and runs of a use case, printed for the docs."""

    def __init__(self, name: str):
        self.name, self.start, self.laps = name, time.perf_counter(), []

    def lap(self, label: str) -> None:
        self.laps.append((label, time.perf_counter() - self.start))

    def report(self) -> float:
        total = time.perf_counter() - self.start
        laps = ", ".join(f"{label} {t:.1f} s" for label, t in self.laps)
        print(f"\n{self.name}: clicks and runs {total:.1f} s ({laps})")
        return total


__all__ = ["override_settings"]
