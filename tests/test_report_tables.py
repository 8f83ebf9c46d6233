"""The presentation helper every section uses (auditkit/plots/tables.py) and the packed report
assets (auditkit/report/assets.py), checked against the libraries they wrap."""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from auditkit.plots.tables import (carries_nothing, duration, figure_table, header, key_values, plain_text,
                                   table)


def _cells(html: str) -> list[str]:
    return [plain_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)]


def test_headers_are_written_for_people():
    assert header("peak_pipeline_runs") == "Peak runs at once"
    assert header("rule_id") == "Rule"
    assert header("retried_executions") == "Retried executions"      # unknown names de-snaked
    html = table(pd.DataFrame({"pipeline_uuid": ["a"], "n_blocks": [3]})).to_html()
    assert "<th>Pipeline</th>" in html and "<th>Blocks</th>" in html
    assert "pipeline_uuid" not in html and "n_blocks" not in html


def test_numbers_percentages_durations_and_dates_are_formatted():
    frame = pd.DataFrame({"runs": [12345, 7], "failure_rate": [0.0443, 0.5], "duration_p95_s": [95.0, 7300.0],
                          "started_at": pd.to_datetime(["2026-01-05 10:30", "2026-02-01 00:00"]), "ratio": [1.23456, 2.0]})
    cells = _cells(table(frame).to_html())
    assert cells[:5] == ["12,345", "4.4%", "1 min 35 s", "2026-01-05 10:30", "1.23"]
    assert cells[5:] == ["7", "50%", "2 h 1 min", "2026-02-01", "2"]
    assert duration(200000) == "2 d 7 h" and duration(3.5) == "3.5 s"


def test_missing_values_are_blank_and_booleans_are_marks():
    frame = pd.DataFrame({"name": ["a", None, "c"], "limit": [1.0, np.nan, None], "over_limit": [True, False, None],
                          "when": [pd.Timestamp("2026-01-01"), pd.NaT, pd.NaT]})
    html = table(frame).to_html()
    text = " ".join(_cells(html))
    assert not re.search(r"\b(NaN|None|NaT|nan|True|False)\b", text), text
    assert _cells(html)[2] == "✓" and _cells(html)[6] == "—"
    assert _cells(html)[4:8] == ["", "", "—", ""]


def test_no_index_column_and_wide_tables_scroll_in_their_box():
    frame = pd.DataFrame({f"column_{i}": [i] for i in range(30)}, index=[42])
    html = table(frame).to_html()
    assert html.count("<th>") == 30                 # no index header
    assert "42" not in _cells(html)
    assert '<div class="ak-table-wrap"' in html     # .ak-table-wrap { overflow-x: auto }


def test_severities_are_badges_and_rules_and_pipelines_link_into_the_report():
    frame = pd.DataFrame({"severity": ["high", "low"], "rule_id": ["MAGE-BLK-001", "MAGE-PIP-005"],
                          "project": ["hub", "hub"], "pipeline": ["daily_sales", "ops"]})
    html = table(frame).to_html()
    assert '<span class="ak-sev ak-sev-high">high</span>' in html
    assert 'href="explorer.html#rule=MAGE-BLK-001"' in html
    assert 'href="pipelines.html#p=hub/daily_sales"' in html
    assert _cells(html)[:2] == ["high", "MAGE-BLK-001"]


def test_long_tables_are_interactive_offline_and_capped():
    frame = pd.DataFrame({"pipeline": [f"p{i}" for i in range(300)], "runs": range(300)})
    t = table(frame)
    html = t.to_html()
    assert t.interactive and "new ITable(" in html
    assert "_itables_" in html and "unpkg" not in html and "https://" not in html.replace("https://itables.org", "")
    data = json.loads(re.search(r'"data_json": (".*?"),\n', html).group(1))
    assert len(json.loads(data)) == 200                # capped; the explorer and pipeline pages hold all
    assert "The first 200 of 300 rows" in html
    short = table(frame.head(5))
    assert not short.interactive and "ITable" not in short.to_html()


def test_text_form_shows_the_formatted_rows():
    text = repr(table(pd.DataFrame({"severity": ["critical"], "share": [0.25], "ok": [True]})))
    assert "critical" in text and "25%" in text and "✓" in text and "<span" not in text
    assert "Every input was read." in repr(table(pd.DataFrame(), empty="Every input was read."))
    assert "12" in repr(key_values({"peak_runs": 12}))


def test_a_chart_whose_bars_are_all_equal_becomes_a_table():
    flat = go.Figure(go.Bar(x=["a", "b", "c"], y=[1, 1, 1], name="findings"))
    flat.update_layout(title="Findings by project", xaxis_title="project")
    assert carries_nothing(flat)
    shown = figure_table(flat)
    assert list(shown.frame.columns) == ["project", "findings"] and len(shown.frame) == 3
    assert not carries_nothing(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
    assert not carries_nothing(go.Figure(go.Scatter(x=[1, 2], y=[1, 1])))


def test_report_display_hook_turns_flat_charts_into_tables():
    from auditkit.plots import _report_bundle

    flat = go.Figure(go.Bar(x=["a", "b"], y=[3, 3]))
    assert "ak-table" in _report_bundle(flat)["text/html"]
    varied = go.Figure(go.Bar(x=["a", "b"], y=[3, 4]))
    assert "Plotly.newPlot" in _report_bundle(varied)["text/html"]


def _unpack(asset: str, name: str) -> str:
    packed = re.search(rf'window\.{name}="([A-Za-z0-9+/=]+)"', asset).group(1)
    return gzip.decompress(base64.b64decode(packed)).decode("utf-8")


def test_packed_plotly_is_the_plotly_package_bundle():
    from auditkit.report.assets import plotly_asset, plotly_bundle

    asset = plotly_asset()
    assert _unpack(asset, "AK_PLOTLY_PACKED") == plotly_bundle().read_text(encoding="utf-8")
    assert len(asset) < 0.5 * plotly_bundle().stat().st_size


def test_packed_itables_loader_carries_itables_own_bundle_and_names():
    from itables import options
    from itables.javascript import _itables_ready_event, _itables_underscore_version

    from auditkit.report.assets import itables_asset

    script = _unpack(itables_asset(), "AK_ITABLES_PACKED")
    bundle = options.dt_bundle
    decoder = json.JSONDecoder()
    literals = [decoder.raw_decode(script, m.end())[0] for m in re.finditer(r"inject(?:CSS|Module)\((?=\")", script)]
    assert literals[0] == open(bundle.with_suffix(".css"), encoding="utf-8").read()
    assert literals[1] == open(bundle, encoding="utf-8").read()
    assert f"window.{_itables_underscore_version()}" in script and _itables_ready_event() in script


def test_dates_in_tables_are_utc_without_time_at_midnight():
    frame = pd.DataFrame({"day": [dt.date(2026, 3, 1)], "at": [pd.Timestamp("2026-03-01 08:15", tz="UTC")]})
    assert _cells(table(frame).to_html()) == ["2026-03-01", "2026-03-01 08:15"]
