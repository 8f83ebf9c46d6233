"""What every section notebook shares: the run-history note, the section's findings table with
its link into the explorer, and the opening paragraph. Notebooks call these; they hold no logic.
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from auditkit.plots.tables import Table, table


class Html:
    """A block of HTML that displays itself (in JupyterLab and in the report page)."""

    def __init__(self, html: str) -> None:
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        """The text without tags (consoles, text/plain output)."""
        import re
        from html import unescape

        return unescape(re.sub(r"<[^>]+>", " ", self.html)).strip()


def history_label(history: Any) -> str:
    """How a report names the run history: a URL as its (masked) label, a database file by its
    folder and name (``analytics_hub/mage-ai.db``), never an absolute machine path."""
    label = str(getattr(history, "label", "") or "")
    if "://" in label:
        return label
    path = Path(label)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


@dataclass
class HistoryView:
    """The run history of an audit as a section uses it (the one home of the cell four section
    notebooks used to copy)."""

    history: Any
    available: bool
    note: str

    def _repr_html_(self) -> str:
        return f'<p class="ak-muted">{escape(self.note)}</p>'

    def __repr__(self) -> str:
        return self.note


def history_view(audit: Any) -> HistoryView:
    hist = audit.history
    if hist is not None and hist.available:
        window = (f"from {hist.since or 'its start'} to {hist.until or 'its end'}"
                  if hist.since or hist.until else "the whole history")
        problems = len(hist.problems)
        note = (f"Run history: {history_label(hist)}, {window}"
                + (f", {problems} input problem{'s' if problems != 1 else ''}." if problems else "."))
        return HistoryView(hist, True, note)
    return HistoryView(None, False, "Run history is absent (none given, or it could not be read): the observed "
                                    "side of this section is empty and only the configuration is shown.")


FINDING_COLUMNS = {"severity": "severity", "rule_id": "rule_id", "message": "message", "pipeline": "pipeline",
                   "where": "where", "waived": "waived"}


def explorer_link(**filters: str | Iterable[str]) -> str:
    """``explorer.html#category=blocks,testing&...`` for the given filters."""
    parts = []
    for key, value in filters.items():
        text = value if isinstance(value, str) else ",".join(value)
        if text:
            parts.append(f"{key}={quote(text, safe=',')}")
    return "explorer.html" + ("#" + "&".join(parts) if parts else "")


def findings_table(audit: Any, categories: str | Iterable[str] | None, limit: int | None = None) -> Html:
    """The findings of ``categories`` (None: all), most severe first, with a link that opens them
    in the findings explorer (where each finding shows its rule's why and fix)."""
    from auditkit.outputs.check import location

    if categories is None:
        cats = sorted(audit.findings["category"].dropna().unique()) if len(audit.findings) else []
        link, scope = explorer_link(), "all"
    else:
        cats = [categories] if isinstance(categories, str) else list(categories)
        link, scope = explorer_link(category=cats), "this section's"
    frame = audit.findings_for(cats)
    if limit is not None:
        frame = frame[~frame["waived"].fillna(False).astype(bool)].head(limit) if len(frame) else frame
    shown = frame.assign(where=[location(r) for r in frame.to_dict("records")]) if len(frame) else frame
    count = len(audit.findings_for(cats, include_waived=False))
    head = (f'<p class="ak-links"><a href="{link}">Open {scope} {count} finding{"s" if count != 1 else ""} '
            f'in the findings explorer</a>: each shows its rule\'s why and fix.</p>')
    columns = {"severity": "severity", "rule_id": "rule_id", "message": "message", "project": "project",
               "pipeline": "pipeline", "where": "where", "waived": "waived"}
    if len(shown) and shown["project"].nunique() <= 1:
        columns.pop("project")
    body = table(shown, columns, empty="No findings in this section.").to_html()
    return Html(head + body)


def rules_not_run(audit: Any):
    """Rules skipped (their data was missing) or failed, with the reason."""
    import pandas as pd

    rule_run = audit.rule_run
    if rule_run is None:
        return pd.DataFrame(columns=["rule_id", "outcome", "detail"])
    skipped = rule_run.skipped_frame().assign(outcome="skipped").rename(columns={"reason": "detail"})
    errors = rule_run.errors_frame().assign(outcome="error").rename(columns={"error": "detail"})
    return pd.concat([skipped, errors], ignore_index=True).reindex(columns=["rule_id", "outcome", "detail"])


def opening(sentences: Iterable[str]) -> Html:
    """A section's opening: two to four sentences generated from the data."""
    text = "".join(f"<p>{escape(s)}</p>" for s in sentences if s)
    return Html(f'<div class="ak-opening">{text}</div>')


def show(frame: Any, columns: Any = None, **options: Any) -> Table:
    """Alias of :func:`auditkit.plots.tables.table` for notebooks."""
    return table(frame, columns, **options)
