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


# ---- Every page at two widths: nothing cut off, no NaN/None, figures drawn, explorer filters ----

WIDTHS = (1400, 1000)
MISSING_TEXT = r"\b(NaN|nan|None|NaT|null|undefined)\b"

# For every table and figure: its right edge is inside the viewport, or inside an ancestor that
# scrolls horizontally (overflow auto/scroll) and itself fits the viewport. DataTables' header and
# footer copies scroll with its body, so only the body table is judged.
CUT_OFF_JS = """() => {
  const width = document.documentElement.clientWidth;
  const bad = [];
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const fits = (el) => el.getBoundingClientRect().right <= width + 1 && el.getBoundingClientRect().left >= -1;
  const items = [...document.querySelectorAll("table, div.plotly-graph-div, .ak-dag svg")]
    .filter((el) => visible(el) && !el.closest(".dt-scroll-head, .dt-scroll-foot"));
  for (const el of items) {
    if (fits(el)) continue;
    let box = el.parentElement, ok = false;
    while (box && box !== document.body) {
      const style = getComputedStyle(box);
      if (["auto", "scroll"].includes(style.overflowX) && box.scrollWidth > box.clientWidth && fits(box)) { ok = true; break; }
      box = box.parentElement;
    }
    if (!ok) bad.push((el.id || el.className || el.tagName).toString().slice(0, 60));
  }
  if (document.documentElement.scrollWidth > width + 1) bad.push("the page itself is wider than the window");
  return bad;
}"""

TABLE_TEXT_JS = """() => [...document.querySelectorAll("td, th")]
  .filter((c) => c.getClientRects().length > 0).map((c) => c.innerText)"""


def _pages(out):
    names = ["index.html", *sorted(p.name for p in out.glob("[0-9][0-9]_*.html")), "explorer.html", "pipelines.html"]
    return names + ["pipelines.html#p=analytics_hub/sales_daily_revenue_report"]


def _open(context, out, name):
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(out.joinpath(name.split("#")[0]).as_uri() + ("#" + name.split("#")[1] if "#" in name else ""),
              wait_until="load")
    page.wait_for_function("() => !window.akPlotlyReady || window.Plotly.version !== undefined", timeout=30000)
    if name.startswith(("explorer", "pipelines")):
        page.wait_for_selector("body[data-ready='1']", timeout=30000)
    page.wait_for_timeout(400)          # plotly's first draw and DataTables' layout
    return page, errors


def _offline(browser, width):
    context = browser.new_context(offline=True, viewport={"width": width, "height": 900})
    outside: list[str] = []
    context.route("**/*", lambda route: (outside.append(route.request.url), route.abort())
                  if not route.request.url.startswith(("file://", "blob:", "data:")) else route.continue_())
    return context, outside


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_its_width_has_no_missing_text_and_draws_offline(demo_report, browser, width):
    import re

    out, _ = demo_report
    context, outside = _offline(browser, width)
    for name in _pages(out):
        page, errors = _open(context, out, name)
        assert not errors, f"console errors on {name} at {width}px: {errors[:3]}"
        cut = page.evaluate(CUT_OFF_JS)
        assert not cut, f"{name} at {width}px: cut off without a scrollbar: {cut[:5]}"
        texts = page.evaluate(TABLE_TEXT_JS)
        missing = [t for t in texts if re.search(MISSING_TEXT, t)]
        assert not missing, f"{name}: table cells with missing-value text: {missing[:5]}"
        figures = page.locator("div.plotly-graph-div")
        for i in range(figures.count()):
            assert figures.nth(i).locator("svg.main-svg").count() >= 1, f"figure {i} on {name} not drawn"
        interactive = page.locator("table.dataTable")
        if name.startswith(("10_", "40_")):
            assert interactive.count() >= 1, f"{name}: long tables should be interactive (itables)"
        page.close()
    assert not outside, f"pages tried to reach the network: {outside[:3]}"
    context.close()


def test_explorer_filters_by_a_clicked_severity_and_by_links(demo_report, browser):
    import json

    out, _ = demo_report
    summary = json.loads((out / "summary.json").read_text())
    context, _ = _offline(browser, 1400)
    page, errors = _open(context, out, "explorer.html")
    page.click("button[data-severity='high']")
    shown = page.locator("#ak-list .ak-finding")
    severities = {shown.nth(i).get_attribute("data-severity") for i in range(shown.count())}
    assert severities == {"high"}
    assert shown.count() == min(50, summary["findings"]["by_severity"]["high"])
    assert "severity=high" in page.url
    total = summary["findings"]["total"]                       # the index's count: waived ones left out
    assert page.inner_text("#ak-count") == f"{summary['findings']['by_severity']['high']} of {total} findings"
    assert not any(shown.nth(i).locator(".ak-where").inner_text().startswith("·") for i in range(shown.count()))
    page.click("button[data-severity='high']")                 # off again: every severity
    assert page.locator("#ak-list .ak-finding").count() == min(50, summary["findings"]["total"])
    page.goto(out.joinpath("explorer.html").as_uri() + "#rule=MAGE-SEC-025")
    page.wait_for_timeout(200)
    cards = page.locator("#ak-list .ak-finding")
    assert cards.count() == summary["findings"]["by_rule"]["MAGE-SEC-025"]
    cards.first.locator("summary").click()
    assert "Fix" in cards.first.inner_text() and "Why it matters" in cards.first.inner_text()
    if summary["findings"].get("waived"):
        page.check("#f-waived")
        assert page.inner_text("#ak-count").endswith(f" of {total + summary['findings']['waived']} findings")
    assert not errors
    context.close()


def test_pipeline_page_draws_every_block_of_its_dag(demo_report, browser):
    out, _ = demo_report
    context, _ = _offline(browser, 1400)
    page, errors = _open(context, out, "pipelines.html#p=analytics_hub/sales_daily_revenue_report")
    import json

    from auditkit.report.pages import read_data
    data = read_data(out / "assets" / "pipelines-data.js")
    pipe = next(p for p in data["pipelines"] if p["pipeline"] == "sales_daily_revenue_report")
    assert page.locator(".ak-dag svg g rect").count() == 2 * len(pipe["blocks"])     # box + type stripe
    assert page.locator(".ak-dag svg path[marker-end]").count() == len(pipe["edges"])
    assert "Runs, failures, retries and concurrency" in page.inner_text("main")
    assert page.locator("#p-detail .ak-facts").count() >= 2
    page.click("text=all pipelines")
    page.wait_for_timeout(200)
    rows = page.locator("#p-rows tr")
    assert rows.count() == len(data["pipelines"]) and not errors
    page.fill("#p-q", "sales_daily")
    assert page.locator("#p-rows tr").count() == 1
    json.dumps(pipe)
    context.close()


def test_section_findings_tables_link_into_the_explorer(demo_report):
    out, _ = demo_report
    for name in ("10_blocks.html", "30_concurrency.html", "70_security.html"):
        page = (out / name).read_text()
        assert 'href="explorer.html#category=' in page, name
    index = (out / "index.html").read_text()
    assert 'href="explorer.html"' in index and 'href="pipelines.html"' in index
    assert "Remediation plan" in index and index.count('<li><span class="ak-sev') == 10


def test_screenshots_of_the_report(demo_report, browser, tmp_path):
    """Screenshots of the index, a section, the explorer and a pipeline page (into
    AUDITKIT_SCREENSHOTS when set, for a person to look at)."""
    import os
    from pathlib import Path

    out, _ = demo_report
    target = Path(os.environ.get("AUDITKIT_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    context, _ = _offline(browser, 1400)
    shots = {"index": "index.html", "section_concurrency": "30_concurrency.html",
             "explorer": "explorer.html#severity=high,medium",
             "pipeline": "pipelines.html#p=analytics_hub/sales_daily_revenue_report"}
    for label, name in shots.items():
        page, _ = _open(context, out, name)
        if label == "explorer":                     # one finding opened: its rule's why and fix
            page.locator("#ak-list .ak-finding summary").first.click()
        page.screenshot(path=str(target / f"{label}.png"), full_page=False)
        assert (target / f"{label}.png").stat().st_size > 20_000
        page.close()
    context.close()


def test_the_page_checks_catch_a_cut_off_table_and_missing_text(browser, tmp_path):
    """The checks above can fail: a wide table outside a scroll box and a 'None' cell are caught."""
    import re

    cells = "".join(f"<td>value {i}</td>" for i in range(60))
    bare = tmp_path / "bare.html"
    bare.write_text(f"<html><body><table><tr>{cells}<td>None</td></tr></table></body></html>")
    boxed = tmp_path / "boxed.html"
    boxed.write_text(f"<html><body><div style='overflow-x:auto'><table><tr>{cells}</tr></table></div></body></html>")
    context, _ = _offline(browser, 1000)
    page = context.new_page()
    page.goto(bare.as_uri())
    assert page.evaluate(CUT_OFF_JS)
    assert any(re.search(MISSING_TEXT, t) for t in page.evaluate(TABLE_TEXT_JS))
    page.goto(boxed.as_uri())
    assert page.evaluate(CUT_OFF_JS) == []
    context.close()


def test_two_thousand_pipelines_come_from_one_data_file_with_search_and_paging(browser, tmp_path):
    from types import SimpleNamespace

    from auditkit.model import Finding, findings_frame
    from auditkit.report.export import write_assets
    from auditkit.report.pages import write_pages
    from inventory_factory import make_inventory

    n = 2000
    names = [f"domain{i % 40}_purpose{i}_daily" for i in range(n)]
    blocks, edges = [], []
    for name in names:
        for j in range(6):
            blocks.append({"project": "hub", "pipeline": name, "block": f"b{j}", "block_type": "transformer"})
            if j:
                edges.append({"project": "hub", "pipeline": name, "upstream": f"b{j - 1}", "downstream": f"b{j}"})
    inv = make_inventory(pipelines=[{"project": "hub", "pipeline": p, "pipeline_type": "python", "depth": 6, "max_width": 1}
                                    for p in names], blocks=blocks, edges=edges)
    findings = findings_frame([Finding(rule_id="MAGE-PIP-006", severity="low", category="pipelines",
                                       message="too few blocks", fingerprint=f"f{i}", project="hub", pipeline=p)
                               for i, p in enumerate(names)])
    audit = SimpleNamespace(findings=findings, inventory=inv, history=None, summary={}, thresholds={},
                            repo_root=str(tmp_path / "big"))
    write_assets(tmp_path)
    write_pages(tmp_path, audit)
    data_files = sorted(p.name for p in (tmp_path / "assets").glob("*-data.js"))
    assert data_files == ["findings-data.js", "pipelines-data.js"] and not list(tmp_path.glob("pipeline-*.html"))
    context, outside = _offline(browser, 1000)
    page, errors = _open(context, tmp_path, "pipelines.html")
    assert page.inner_text("#p-count") == "2,000 of 2,000 pipelines"
    assert page.locator("#p-rows tr").count() == 50 and page.inner_text("#p-page") == "page 1 of 40"
    page.click("#p-next")
    assert page.inner_text("#p-page") == "page 2 of 40"
    page.fill("#p-q", "purpose1999_")
    assert page.locator("#p-rows tr").count() == 1
    page.click("#p-rows a")
    page.wait_for_selector("#p-detail .ak-dag svg")
    assert page.locator(".ak-dag svg path[marker-end]").count() == 5
    assert not page.evaluate(CUT_OFF_JS) and not errors and not outside
    context.close()


def test_explorer_shows_only_findings_new_since_the_previous_audit(browser, tmp_path):
    from types import SimpleNamespace

    from auditkit.model import Finding, findings_frame
    from auditkit.report.export import write_assets
    from auditkit.report.pages import write_pages
    from inventory_factory import make_inventory

    findings = [Finding(rule_id="MAGE-PIP-006", severity=s, category="pipelines", message=f"finding {i}",
                        fingerprint=f"f{i}", project="hub", pipeline=f"p{i}") for i, s in enumerate(["low", "high", "low"])]
    audit = SimpleNamespace(findings=findings_frame(findings), inventory=make_inventory(), history=None, summary={},
                            thresholds={}, repo_root=str(tmp_path / "repo"))
    write_assets(tmp_path)
    write_pages(tmp_path, audit, new={"f1", "f2"})
    context, _ = _offline(browser, 1000)
    page, errors = _open(context, tmp_path, "explorer.html")
    assert page.locator("#ak-list .ak-finding").count() == 3
    page.check("#f-new")
    cards = page.locator("#ak-list .ak-finding")
    assert cards.count() == 2 and all("new" in cards.nth(i).inner_text() for i in range(2))
    page.click("button[data-severity='low']")
    assert page.locator("#ak-list .ak-finding").count() == 1 and "new=1" in page.url
    page.select_option("#f-project", "hub")
    page.fill("#f-pipeline", "p1")
    page.dispatch_event("#f-pipeline", "change")
    assert page.locator("#ak-list .ak-finding").count() == 0          # p1 is high, not low
    assert not errors
    context.close()
