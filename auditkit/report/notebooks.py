"""The section notebooks of a report and where they are found."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SOURCE_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass(frozen=True)
class Section:
    slug: str          # notebook file stem, e.g. "10_blocks"
    title: str
    categories: tuple[str, ...]
    needs_envs: bool = False   # runs only when the report is given environments (--env)


SECTIONS: tuple[Section, ...] = (
    Section("00_summary", "Summary", ()),
    Section("10_blocks", "Blocks", ("blocks", "documentation", "testing")),
    Section("20_pipelines", "Pipelines", ("pipelines",)),
    Section("30_concurrency", "Concurrency and performance", ("performance",)),
    Section("40_retries", "Retries and reliability", ("reliability",)),
    Section("50_backfills", "Backfills", ("operations",)),
    Section("60_runs", "Run health", ("operations", "observability")),
    Section("70_security", "Security", ("security",)),
    Section("80_deployment", "Deployment", ("deployment",)),
    Section("90_drift", "Environment drift", ("deployment",), needs_envs=True),
)


def notebooks_dir() -> Path:
    """The folder holding the section notebooks: the checkout's ``notebooks/`` when running from
    source, else the copy shipped inside the package."""
    return SOURCE_NOTEBOOKS if SOURCE_NOTEBOOKS.is_dir() else PACKAGE_NOTEBOOKS


def available_sections(folder: Path | None = None) -> list[Section]:
    folder = folder or notebooks_dir()
    return [s for s in SECTIONS if (folder / f"{s.slug}.ipynb").exists()]
