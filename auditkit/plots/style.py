"""The colours of every chart and page, in one place: the same severity, block type, status or
limit looks the same on every page of a report (the stylesheet's badges read these too)."""
from __future__ import annotations

SEVERITY_COLORS = {"critical": "#8b0000", "high": "#d1242f", "medium": "#e8912d", "low": "#d4b106", "info": "#8c959f"}
# Text on a badge of that colour: dark text where the colour is light.
SEVERITY_TEXT = {"critical": "#ffffff", "high": "#ffffff", "medium": "#1f2328", "low": "#1f2328", "info": "#ffffff"}
STATUS_COLORS = {"COMPLETED": "#2da44e", "FAILED": "#d1242f", "CANCELLED": "#8c959f",
                 "RUNNING": "#0969da", "INITIAL": "#bf8700", "UPSTREAM_FAILED": "#cf222e",
                 "CONDITION_FAILED": "#6e7781", "QUEUED": "#9a6700"}
# Mage's block types (the folder names' singular), one colour each on every chart and DAG.
BLOCK_TYPE_COLORS = {
    "data_loader": "#1f77b4", "transformer": "#9467bd", "data_exporter": "#2ca02c",
    "sensor": "#ff7f0e", "custom": "#8c564b", "dbt": "#e377c2", "scratchpad": "#7f7f7f",
    "callback": "#17becf", "conditional": "#bcbd22", "extension": "#aec7e8", "chart": "#ffbb78",
    "markdown": "#c5b0d5", "global_data_product": "#98df8a", "other": "#c7c7c7",
}
PIPELINE_TYPE_COLORS = {"python": "#0969da", "streaming": "#bf3989", "integration": "#1a7f37",
                        "pyspark": "#e8912d", "databricks": "#8250df", "other": "#8c959f"}
LIMIT_COLOR = "#d1242f"     # a guide's limit drawn on a chart
IDEAL_FILL = "rgba(46, 160, 67, 0.12)"   # the guide's ideal band
GOOD, BAD, NEUTRAL = "#2e7d32", "#d1242f", "#8c959f"
ACCENT = "#0969da"


def color_map(values, palette: dict[str, str]) -> dict[str, str]:
    """``palette`` for each of ``values``; unknown values take the palette's ``other`` colour."""
    fallback = palette.get("other", NEUTRAL)
    return {v: palette.get(str(v), fallback) for v in dict.fromkeys(values)}


def css_variables() -> str:
    """The severity colours as CSS custom properties, for the report's stylesheet."""
    parts = [f"--{s}: {c}; --{s}-fg: {SEVERITY_TEXT[s]};" for s, c in SEVERITY_COLORS.items()]
    return ":root { " + " ".join(parts) + " }\n"
