"""Open every page of the demo report in headless Chromium with the network cut off."""
from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def _chromium() -> str | None:
    return os.environ.get("AUDITKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    if not executable:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        pytest.skip(f"playwright missing: {exc}")
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as exc:
            pytest.skip(f"Chromium did not start: {exc}")
        yield b
        b.close()


def test_every_figure_renders_offline_without_console_errors(demo_report, browser):
    out, _ = demo_report
    pages = sorted(out.glob("*.html"))
    assert len(pages) >= 2
    context = browser.new_context(offline=True)
    outside_requests: list[str] = []
    context.route("**/*", lambda route: (outside_requests.append(route.request.url), route.abort())
                  if not route.request.url.startswith("file://") else route.continue_())
    rendered = 0
    for page_path in pages:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg, errs=errors: errs.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc, errs=errors: errs.append(str(exc)))
        page.goto(page_path.as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        containers = page.locator("div.plotly-graph-div")
        count = containers.count()
        for i in range(count):
            assert containers.nth(i).locator("svg.main-svg").count() >= 1, \
                f"figure {i} on {page_path.name} did not render"
        rendered += count
        assert not errors, f"console errors on {page_path.name}: {errors[:3]}"
        page.close()
    assert rendered >= 10
    assert not outside_requests, f"pages tried to reach the network: {outside_requests[:3]}"
    context.close()
