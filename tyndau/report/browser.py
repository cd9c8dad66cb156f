"""Headless Chromium (Debian's `chromium`, `make browser`) driven by Playwright: the report's
screenshot for the README, and the browser tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# no sandbox (containers, root), and none of the browser's own traffic: the page must be the
# only thing that could make a request
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class BrowserMissing(RuntimeError):
    pass


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium browser (Playwright's Browser)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        raise BrowserMissing(
            "playwright is not installed: `make .venv/.synced` installs the dev extras"
        ) from error
    executable = shutil.which("chromium")
    if executable is None:
        raise BrowserMissing("chromium is not installed: `make browser` installs Debian's")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def screenshot(html: Path, png: Path, *, width: int = 1400) -> Path:
    """The page as rendered, `width` CSS pixels wide, from the top to the end of the charts
    (the headlines and definitions below are text)."""
    with chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(html.resolve().as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg")
        bottom = page.eval_on_selector("#charts", "e => e.getBoundingClientRect().bottom")
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(png), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": bottom}
        )
    return png
