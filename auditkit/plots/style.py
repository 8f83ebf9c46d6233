"""The colours of every chart, in one place: the same severity, status or limit looks the same
on every page of a report."""
from __future__ import annotations

SEVERITY_COLORS = {"critical": "#8b0000", "high": "#d1242f", "medium": "#e8912d", "low": "#d4b106", "info": "#8c959f"}
STATUS_COLORS = {"COMPLETED": "#2da44e", "FAILED": "#d1242f", "CANCELLED": "#8c959f",
                 "RUNNING": "#0969da", "INITIAL": "#bf8700", "UPSTREAM_FAILED": "#cf222e",
                 "CONDITION_FAILED": "#6e7781", "QUEUED": "#9a6700"}
LIMIT_COLOR = "#d1242f"     # a guide's limit drawn on a chart
GOOD, BAD, NEUTRAL = "#2e7d32", "#d1242f", "#8c959f"
ACCENT = "#0969da"
