"""Tables as a reader sees them: the one presentation helper every section uses.

``table(frame)`` shows a DataFrame with headers written for people, formatted numbers
(thousands, percentages, durations, dates), no index column, blank cells for missing values,
✓/— for booleans, coloured severity badges, rule ids linked to the findings explorer and
pipelines linked to their page. A wide table scrolls inside its box. A long table shows its top
rows with search, sort and per-column filters, through itables (DataTables) in offline mode:
its JavaScript comes from the report's ``assets/`` (or, in JupyterLab, from
``itables.init_notebook_mode(connected=False)``), never from a CDN.
"""
from __future__ import annotations

import datetime as dt
import math
import numbers
import re
import uuid
from html import escape, unescape
from typing import Any, Callable
from urllib.parse import quote

import pandas as pd

from auditkit.model import SEVERITIES

# Machine column names -> what a reader calls them. Unknown names are de-snaked.
HEADERS = {
    "rule_id": "Rule", "pipeline_uuid": "Pipeline", "n_blocks": "Blocks", "n_edges": "Edges",
    "n_dangling": "Dangling deps", "max_width": "Widest level", "depth": "Depth",
    "lines_code": "Lines of code", "lines_total": "Lines", "block_type": "Block type",
    "path": "File", "line": "Line", "uuid": "Block", "n_tests": "Tests", "has_docstring": "Docstring",
    "complexity_max": "Max complexity", "peak_pipeline_runs": "Peak runs at once",
    "effective_run_limit": "Run limit", "over_limit": "Over limit", "peak_block_runs": "Peak block runs at once",
    "block_run_limit": "Block run limit", "block_over_limit": "Block runs over limit",
    "queue_concurrency": "Queue concurrency", "executor_type": "Executor",
    "run_pipeline_in_one_process": "One process", "has_cycle": "Cycle", "naming_ok": "Naming ok",
    "tags_ok": "Tags ok", "within_limits": "Within limits", "schedule_type": "Schedule",
    "schedule_interval": "Interval", "sla": "SLA", "waiver_reason": "Waiver reason",
    "waiver_expires": "Waiver expires", "days_left": "Days left", "value_kind": "Value kind",
    "mage_version": "Mage version", "image_pinned": "Image pinned", "auth_enabled": "Authentication",
    "ports_all_interfaces": "Ports on all interfaces", "jwt_secret": "JWT secret",
    "success_rate": "Success rate", "failure_rate": "Failure rate", "p50_s": "Median duration",
    "p95_s": "95th pct duration", "last_commit_at": "Last commit", "is_remote": "Remote",
    "with_tests": "With tests", "with_docstring": "With docstring", "follows_naming": "Naming ok",
    "subfolder_depth": "Subfolder levels", "n_pipelines": "Pipelines", "id": "Id",
}
PERCENT_HINTS = ("rate", "share", "coverage", "pct", "ratio_of")
DURATION_HINTS = ("_s", "_seconds", "duration_s", "wait_s", "late_s")
PAGE_LENGTH = 15
MAX_ROWS = 200        # rows a page embeds; the explorer, pipeline pages and CSV extracts hold the rest


def header(column: str) -> str:
    """The human header of a column: a known name, or the name with spaces, first letter up."""
    if column in HEADERS:
        return HEADERS[column]
    text = str(column).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def is_missing(value: Any) -> bool:
    """Whether ``value`` is missing (None, NaN, NaT, pandas NA): shown as a blank cell."""
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, tuple, dict, set)) else False
    except (TypeError, ValueError):
        return False


def duration(seconds: float) -> str:
    """``95`` -> ``1 min 35 s``; ``7300`` -> ``2 h 2 min``; ``200000`` -> ``2 d 7 h``."""
    s = float(seconds)
    if s < 60:
        return f"{s:.0f} s" if s >= 10 or s == int(s) else f"{s:.1f} s"
    minutes, sec = divmod(int(round(s)), 60)
    if minutes < 60:
        return f"{minutes} min {sec} s" if sec else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def number(value: Any) -> str:
    """``value`` formatted as a number for a table cell (thousands separated)."""
    if isinstance(value, bool):
        return "✓" if value else "—"
    if isinstance(value, numbers.Integral) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return f"{int(value):,}"
    v = float(value)
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def column_kind(name: str, series: pd.Series) -> str:
    """How a column is shown: severity, bool, percent, duration, datetime, number, list or text."""
    lower = str(name).lower()
    values = [v for v in series.tolist() if not is_missing(v)]
    if lower == "severity" or lower.endswith("_severity"):
        return "severity"
    if lower in ("rule_id", "rule"):
        return "rule"
    if lower in ("pipeline", "pipeline_uuid"):
        return "pipeline"
    if values and all(isinstance(v, (bool,)) or type(v).__name__ == "bool_" for v in values):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(series) or (values and all(isinstance(v, (dt.datetime, dt.date)) for v in values)):
        return "datetime"
    numeric = values and all(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in values)
    if numeric and any(h in lower for h in PERCENT_HINTS) and all(0 <= float(v) <= 1 for v in values):
        return "percent"
    if numeric and (lower.endswith(DURATION_HINTS) or lower in ("delay", "max_delay")):
        return "duration"
    if numeric:
        return "number"
    if values and all(isinstance(v, (list, tuple, set)) for v in values):
        return "list"
    return "text"


_SORTKEY = re.compile(r'<span class="ak-sortkey">[^<]*</span>')
_TAG = re.compile(r"<[^>]+>")


def plain_text(html: str) -> str:
    """A cell's HTML as the text a reader sees."""
    return unescape(_TAG.sub("", _SORTKEY.sub("", html)))


def severity_badge(severity: str) -> str:
    """HTML of a coloured badge for ``severity``."""
    rank = SEVERITIES[::-1].index(severity) if severity in SEVERITIES else 9
    # The hidden rank makes a text sort of the column a severity sort.
    return (f'<span class="ak-sortkey">{rank}</span>'
            f'<span class="ak-sev ak-sev-{escape(severity)}">{escape(severity)}</span>')


def pipeline_link(pipeline: str, project: Any = None) -> str:
    """HTML link to ``pipeline``'s page in the report."""
    key = f"{project}/{pipeline}" if not is_missing(project) and project else str(pipeline)
    return f'<a href="pipelines.html#p={quote(key)}">{escape(str(pipeline))}</a>'


def rule_link(rule_id: str) -> str:
    """HTML link to ``rule_id`` in the findings explorer."""
    return f'<a href="explorer.html#rule={quote(str(rule_id))}">{escape(str(rule_id))}</a>'


def _datetime(value: Any) -> str:
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.strftime("%Y-%m-%d") if stamp == stamp.normalize() else stamp.strftime("%Y-%m-%d %H:%M")


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return escape(", ".join(f"{k}: {v}" for k, v in value.items() if not is_missing(v)))
    if isinstance(value, (list, tuple, set)):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, bool):
        return "✓" if value else "—"
    if isinstance(value, numbers.Number):
        return number(value)
    return escape(str(value))


FORMATTERS: dict[str, Callable[[Any], str]] = {
    "severity": lambda v: severity_badge(str(v)),
    "rule": rule_link,
    "bool": lambda v: "✓" if bool(v) else "—",
    "percent": lambda v: f"{float(v):.0%}" if float(v) in (0.0, 1.0) or float(v) >= 0.1 else f"{float(v):.1%}",
    "duration": duration,
    "datetime": _datetime,
    "number": number,
    "list": _text,
    "text": _text,
    "html": str,          # already HTML (built by this module)
}


class Table:
    """A formatted table; shows itself as HTML in JupyterLab and in the report."""

    def __init__(self, frame: pd.DataFrame, *, formats: dict[str, str] | None = None,
                 title: str | None = None, page_length: int = PAGE_LENGTH,
                 interactive: bool | None = None, empty: str = "None found.", note: str | None = None,
                 max_rows: int = MAX_ROWS) -> None:
        self.total = len(frame)
        self.frame = frame.head(max_rows).reset_index(drop=True)
        self.title, self.empty, self.note = title, empty, note
        self.page_length = page_length
        self.interactive = len(self.frame) > page_length if interactive is None else interactive
        self.kinds = {c: (formats or {}).get(c) or column_kind(c, self.frame[c]) for c in self.frame.columns}

    def cells(self) -> list[list[str]]:
        """Every cell as HTML text (missing values blank)."""
        has_project = "project" in self.frame
        rows = []
        for record in self.frame.to_dict("records"):
            row = []
            for col, kind in self.kinds.items():
                value = record[col]
                if is_missing(value):
                    row.append("")
                elif kind == "pipeline":
                    row.append(pipeline_link(value, record.get("project") if has_project else None))
                else:
                    row.append(FORMATTERS[kind](value))
            rows.append(row)
        return rows

    def headers(self) -> list[str]:
        return [header(c) for c in self.frame.columns]

    def static_html(self, limit: int | None = None) -> str:
        cells = self.cells() if limit is None else self.cells()[:limit]
        numeric = [k in ("number", "percent", "duration") for k in self.kinds.values()]
        head = "".join(f"<th>{escape(h)}</th>" for h in self.headers())
        body = "".join("<tr>" + "".join(f'<td class="ak-num">{c}</td>' if n else f"<td>{c}</td>"
                                        for c, n in zip(row, numeric)) + "</tr>" for row in cells)
        return f'<table class="ak-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def interactive_html(self) -> str:
        from itables.javascript import get_itable_arguments, html_table_from_template

        table_id = f"ak-t{uuid.uuid4().hex[:10]}"
        shown = pd.DataFrame(self.cells(), columns=self.headers())
        dt_args = get_itable_arguments(shown, None, connected=False, allow_html=True, showIndex=False,
                                       pageLength=self.page_length, column_filters="footer",
                                       lengthMenu=[self.page_length, 50, 100, 500],
                                       classes="display compact ak-table", table_id=table_id, scrollX=True,
                                       maxBytes=0, display_logo_when_loading=False)
        for key in ("dt_url", "connected", "display_logo_when_loading"):
            dt_args.pop(key, None)
        return html_table_from_template(table_id=table_id, dt_url="", connected=False,
                                        display_logo_when_loading=False, kwargs=dt_args,
                                        fallback_html=self.static_html(self.page_length))

    def to_html(self) -> str:
        parts = [f"<h4 class='ak-table-title'>{escape(self.title)}</h4>"] if self.title else []
        if self.frame.empty:
            parts.append(f'<p class="ak-empty">{escape(self.empty)}</p>')
        else:
            size = f"{len(self.frame):,} rows" if self.interactive else ""
            if self.total > len(self.frame):
                size = f"The first {len(self.frame):,} of {self.total:,} rows"
            body = self.interactive_html() if self.interactive else self.static_html()
            parts.append(f'<div class="ak-table-wrap" data-rows="{len(self.frame)}">{body}</div>')
            if size:
                parts.append(f'<p class="ak-muted ak-table-size">{size}: search, sort and filter above.</p>')
        if self.note:
            parts.append(f'<p class="ak-muted">{self.note}</p>')
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        """Plain text (consoles, text/plain output): the title and the rows with their headers."""
        if self.frame.empty:
            return f"{self.title + ': ' if self.title else ''}{self.empty}"
        cells = [[plain_text(c) for c in row] for row in self.cells()[:60]]
        text = pd.DataFrame(cells, columns=self.headers()).to_string(index=False)
        if len(self.frame) > 60:
            text += f"\n... {len(self.frame) - 60:,} more rows"
        return f"{self.title}\n{text}" if self.title else text


def table(frame: pd.DataFrame | pd.Series | None, columns: list[str] | dict[str, str] | None = None,
          **options: Any) -> Table:
    """``frame`` as a reader's table. ``columns``: the columns to show (a dict also renames them,
    machine name -> header); ``formats``: column -> kind (severity, rule, pipeline, bool,
    percent, duration, datetime, number, list, text); ``title``, ``empty`` (text when there are
    no rows), ``note``, ``page_length``, ``interactive`` (default: more rows than a page)."""
    if frame is None:
        frame = pd.DataFrame()
    if isinstance(frame, pd.Series):
        frame = frame.reset_index()
        frame.columns = ["item", "value"]
    if columns is not None:
        keep = [c for c in columns if c in frame]
        frame = frame[keep]
        if isinstance(columns, dict):
            renamed = {c: columns[c] for c in keep}
            formats = {renamed.get(k, k): v for k, v in (options.pop("formats", None) or {}).items()}
            kinds = {renamed[c]: column_kind(c, frame[c]) for c in keep}
            frame = frame.rename(columns=renamed)
            options["formats"] = {**kinds, **formats}
    return Table(frame, **options)


def key_values(pairs: dict[str, Any], title: str | None = None) -> Table:
    """A two-column table of labelled figures (``{"pipelines": 8, ...}``)."""
    frame = pd.DataFrame({"figure": [header(k) if k == k.lower() and "_" in k else k for k in pairs],
                          "value": [_text(v) if not is_missing(v) else "" for v in pairs.values()]})
    return Table(frame, title=title, formats={"figure": "text", "value": "html"}, interactive=False)


def carries_nothing(fig: Any) -> bool:
    """True for a bar chart whose bars all have the same length (every bar 1, say): a table says
    the same in less room."""
    traces = list(fig.data)
    if not traces or any(t.type != "bar" for t in traces):
        return False
    values = []
    for trace in traces:
        side = trace.x if trace.orientation == "h" else trace.y
        values.extend(v for v in (side if side is not None else ()) if not is_missing(v))
    return len(set(values)) <= 1


def figure_table(fig: Any) -> Table:
    """The numbers of a bar chart as a table: one row per bar category, one column per series."""
    rows: dict[Any, dict[str, Any]] = {}
    horizontal = any(t.orientation == "h" for t in fig.data)
    axis = fig.layout.yaxis if horizontal else fig.layout.xaxis
    value_axis = fig.layout.xaxis if horizontal else fig.layout.yaxis
    label = (axis.title.text if axis.title else None) or "item"
    value_label = (value_axis.title.text if value_axis.title else None) or "value"
    for trace in fig.data:
        cats = trace.y if horizontal else trace.x
        vals = trace.x if horizontal else trace.y
        series = trace.name or value_label
        for cat, val in zip(cats if cats is not None else (), vals if vals is not None else ()):
            rows.setdefault(cat, {label: cat})[series] = val
    frame = pd.DataFrame(list(rows.values()))
    title = fig.layout.title.text if fig.layout.title else None
    return Table(frame, title=title, interactive=len(frame) > PAGE_LENGTH)
