"""`auditkit report --pdf`: the whole report set printed by headless Chromium into one PDF."""
from __future__ import annotations

import os
import shutil
import unicodedata

import pytest

pytestmark = pytest.mark.browser

PDF_BUDGET = 10 * 1000 * 1000


def _chromium() -> str | None:
    return os.environ.get("AUDITKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _text_of(page) -> str:
    """A page's text with typographic ligatures (ﬁ, ﬂ) spelled out."""
    return unicodedata.normalize("NFKC", page.extract_text() or "")


def _text(reader) -> str:
    return "\n".join(_text_of(page) for page in reader.pages)


@pytest.fixture(scope="module")
def demo_pdf(demo_report, tmp_path_factory):
    if not _chromium():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from auditkit.report.pdf import print_folder

    out, _ = demo_report
    target = print_folder(out, tmp_path_factory.mktemp("pdf") / "report.pdf")
    assert not (out / "_print.html").exists()          # the printable page is not left in the set
    return out, target


def test_pdf_has_every_section_title_and_a_page_count_to_match(demo_pdf):
    from pypdf import PdfReader

    from auditkit.report.notebooks import available_sections

    out, target = demo_pdf
    reader = PdfReader(str(target))
    text = _text(reader)
    titles = ["Mage audit", "Remediation plan", "Audit summary", "Blocks", "Pipelines", "Concurrency and performance",
              "Retries and reliability", "Backfills", "Run health", "Security posture", "Deployment and CI/CD",
              "Findings by rule"]
    missing = [t for t in titles if t not in text]
    assert not missing, missing
    sections = len(available_sections())
    # Every section starts on a new sheet, plus the index and the two appendices.
    assert sections + 3 <= len(reader.pages) <= 200
    starts = [i for i, page in enumerate(reader.pages) if "Retries and reliability" in _text_of(page)]
    assert starts, "the retries section is printed"
    assert target.stat().st_size <= PDF_BUDGET


def test_pdf_keeps_links(demo_pdf):
    from pypdf import PdfReader

    _, target = demo_pdf
    reader = PdfReader(str(target))
    internal = external = 0
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            if obj.get("/Subtype") != "/Link":
                continue
            action = obj.get("/A")
            if obj.get("/Dest") is not None or (action and action.get_object().get("/S") == "/GoTo"):
                internal += 1
            elif action and action.get_object().get("/URI"):
                external += 1
    assert internal >= 10, (internal, external)      # section links and rule links inside the PDF


def test_figures_are_drawn_in_the_pdf(demo_pdf):
    from pypdf import PdfReader

    _, target = demo_pdf
    text = _text(PdfReader(str(target)))
    assert "Block sizes (lines of code)" in text                # a plotly title, drawn by plotly.js
    assert "NaN" not in text and "None found" not in text.replace("None found.", "")


def test_pdf_without_a_browser_is_an_input_error(monkeypatch, tmp_path, capsys):
    from auditkit.cli import main

    monkeypatch.setenv("AUDITKIT_CHROMIUM", "")
    monkeypatch.setenv("PATH", str(tmp_path))
    code = main(["report", str(tmp_path), "--out", str(tmp_path / "out"), "--pdf"])
    assert code == 2 and "Chromium" in capsys.readouterr().err
