"""The report pages built straight from the audit (no notebook): the findings explorer, the
pipeline pages and the remediation plan of the index.

The explorer and the pipeline pages are one HTML page each plus one data file
(``assets/findings-data.js``, ``assets/pipelines-data.js``: a script that sets a global, because
a ``file://`` page may not fetch JSON). The page's script filters, searches and pages through the
data, so 2,000 pipelines cost one compact data file, not 2,000 pages.
"""
from __future__ import annotations

import base64
import gzip
import json
import math
import re
from pathlib import Path
from typing import Any

from urllib.parse import quote

import pandas as pd
from markupsafe import Markup, escape

from auditkit.analytics.findings import unwaived
from auditkit.limits import audit_limits
from auditkit.model import SEVERITIES
from auditkit.plots.style import BLOCK_TYPE_COLORS, SEVERITY_COLORS

# Severity weight of a remediation action (x its reach); each level outweighs two of the next.
ACTION_WEIGHTS = {"critical": 16, "high": 8, "medium": 4, "low": 2, "info": 1}
FINDING_FIELDS = ["severity", "rule", "category", "project", "pipeline", "path", "line", "message", "new", "waived"]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _rules_catalogue(rule_ids: set[str]) -> dict[str, dict]:
    from auditkit.engine.base import REGISTRY, all_rules
    from auditkit.engine.catalogue import rule_metadata

    if not REGISTRY:
        list(all_rules())
    out = {}
    for rule_id in sorted(rule_ids):
        rule = REGISTRY.get(rule_id)
        if rule is None:
            out[rule_id] = {"title": rule_id, "why": "", "fix": ""}
            continue
        meta = rule_metadata(rule)
        out[rule_id] = {"title": meta["title"], "name": meta["name"], "why": meta["why_it_matters"],
                        "fix": meta["fix"], "category": meta["category"]}
    return out


def findings_data(audit: Any, new: set | None = None) -> dict:
    """Every finding as a compact row (``fields``), the rules they come from and whether a
    previous audit was compared (``has_previous``)."""
    frame = audit.findings
    rows = []
    for f in frame.to_dict("records"):
        line = f.get("line")
        rows.append([f["severity"], f["rule_id"], _text(f.get("category")), _text(f.get("project")),
                     _text(f.get("pipeline")), _text(f.get("path")),
                     int(line) if line is not None and not pd.isna(line) else None, _text(f.get("message")),
                     1 if new is not None and f.get("fingerprint") in new else 0,
                     1 if f.get("waived") is True else 0])
    return {"fields": FINDING_FIELDS, "findings": rows, "rules": _rules_catalogue(set(frame["rule_id"])),
            "severities": SEVERITIES[::-1], "has_previous": new is not None,
            "colors": SEVERITY_COLORS}


def _pipeline_runs(audit: Any) -> dict[str, dict]:
    """Per pipeline uuid: runs, failures, failure rate, durations, retries, concurrency peak and limit."""
    hist = audit.history
    if hist is None or not getattr(hist, "available", False):
        return {}
    from auditkit.analytics import concurrency as C
    from auditkit.analytics import retries as R
    from auditkit.analytics import runs as RH

    out: dict[str, dict] = {}
    for r in RH.run_health(hist).to_dict("records"):
        out.setdefault(r["pipeline"], {}).update(
            runs=int(r["runs"]), completed=int(r["completed"]), failed=int(r["failed"]),
            failure_rate=_num(r.get("failure_rate")), p50_s=_num(r.get("duration_p50_s")),
            p95_s=_num(r.get("duration_p95_s")), sla_misses=_num(r.get("sla_misses")))
    retries = R.observed_retries(hist)
    if len(retries):
        per = retries.groupby("pipeline")[["log_retries", "retried_block_runs"]].sum()
        for uuid, r in per.iterrows():
            out.setdefault(uuid, {}).update(retries=int(r["log_retries"]), reruns=int(r["retried_block_runs"]))
    for r in C.concurrency_overview(hist, audit.inventory).to_dict("records"):
        out.setdefault(r["pipeline"], {}).update(
            peak=_num(r.get("peak_pipeline_runs")), limit=_num(r.get("effective_run_limit")),
            over_limit=bool(r.get("over_limit")) if r.get("over_limit") is not None else None)
    return out


def _num(value: Any) -> float | int | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(v):
        return None
    return int(v) if v.is_integer() else round(v, 4)


def pipelines_data(audit: Any) -> dict:
    """One compact record per pipeline: its blocks (uuid, type, lines of code), its edges (index
    pairs into its blocks), graph measures and its run history."""
    inv = audit.inventory
    sizes = inv.block_files.drop_duplicates("path").set_index("path")["lines_code"].to_dict() \
        if len(inv.block_files) else {}
    runs = _pipeline_runs(audit)
    blocks = {k: g for k, g in inv.blocks.groupby(["project", "pipeline"], sort=False)} if len(inv.blocks) else {}
    edges = {k: g for k, g in inv.edges.groupby(["project", "pipeline"], sort=False)} if len(inv.edges) else {}
    records = []
    for p in inv.pipelines.to_dict("records"):
        key = (p["project"], p["pipeline"])
        mine = blocks.get(key)
        names, rows = {}, []
        if mine is not None:
            for b in mine.to_dict("records"):
                if b["block"] in names:
                    continue
                names[b["block"]] = len(rows)
                lines = sizes.get(b.get("path")) if b.get("path") else None
                rows.append([b["block"], _text(b.get("block_type")), _num(lines), _text(b.get("path"))])
        pairs = []
        if key in edges:
            for e in edges[key].itertuples(index=False):
                if e.upstream in names and e.downstream in names:
                    pairs.append([names[e.upstream], names[e.downstream]])
        records.append({"project": p["project"], "pipeline": p["pipeline"], "type": _text(p.get("pipeline_type")),
                        "path": _text(p.get("path")), "depth": _num(p.get("depth")), "width": _num(p.get("max_width")),
                        "blocks": rows, "edges": pairs, "runs": runs.get(p["pipeline"])})
    limits = audit_limits(audit)
    return {"pipelines": records, "colors": BLOCK_TYPE_COLORS, "block_max": limits.block_max,
            "block_ideal": list(limits.block_ideal), "has_history": bool(runs)}


def write_data(path: Path, name: str, data: dict) -> None:
    """``window.<name> = "<base64 of gzipped JSON>";`` — loadable by a ``<script src>`` from a
    ``file://`` page (which may not fetch a JSON file) and unpacked in the browser by its own
    gzip decoder (``DecompressionStream``, see templates/akdata.js): at 2,000 pipelines the data
    is a tenth of its JSON size."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    packed = base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")
    path.write_text(f'window.{name}="{packed}";\n', encoding="ascii")


def read_data(path: Path) -> dict:
    """The data :func:`write_data` wrote (for tests and tools)."""
    packed = path.read_text(encoding="ascii").split('"')[1]
    return json.loads(gzip.decompress(base64.b64decode(packed)).decode("utf-8"))


def remediation_plan(audit: Any, top: int = 10) -> list[dict]:
    """The ``top`` actions by severity x reach: one per rule, reach = the pipelines (or, for
    findings outside pipelines, the files) its unwaived findings touch."""
    active = unwaived(audit.findings)
    if active.empty:
        return []
    rules = _rules_catalogue(set(active["rule_id"]))
    actions = []
    for rule_id, group in active.groupby("rule_id"):
        places = _places(group)
        worst = max(group["severity"], key=lambda s: ACTION_WEIGHTS.get(s, 0))
        reach = len(places) or len(group)
        fix = rich_text(rules.get(rule_id, {}).get("fix", "").strip().split("\n\n")[0].replace("\n", " "))
        actions.append({"rule_id": rule_id, "title": rules.get(rule_id, {}).get("title", rule_id), "severity": worst,
                        "findings": len(group), "reach": reach, "score": ACTION_WEIGHTS.get(worst, 0) * reach,
                        "fix": fix, "places": places[:5], "more": max(0, len(places) - 5),
                        "links": [_place_link(p, group) for p in places[:5]]})
    actions.sort(key=lambda a: (-a["score"], -ACTION_WEIGHTS.get(a["severity"], 0), a["rule_id"]))
    return actions[:top]


def rich_text(text: str) -> Markup:
    """Docstring text as HTML: escaped, with ``code`` and `code` spans."""
    html = str(escape(text))
    html = re.sub(r"``(.+?)``", r"<code>\1</code>", html)
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", html))


def _place_link(place: str, group: pd.DataFrame) -> str | None:
    """The pipeline page of a place that is a pipeline (a finding's ``pipeline`` or one of its
    ``pipelines``, e.g. a shared block file's), else None."""
    listed = group["pipelines"] if "pipelines" in group else pd.Series([None] * len(group), index=group.index)
    named = [p == place or (isinstance(ps, list) and place in ps) for p, ps in zip(group["pipeline"], listed)]
    mine = group[named]
    if mine.empty:
        return None
    project = mine["project"].iloc[0]
    key = f"{project}/{place}" if isinstance(project, str) and project else place
    return f"pipelines.html#p={quote(key)}"


def _places(group: pd.DataFrame) -> list[str]:
    """The pipelines a rule's findings touch (``project/pipeline`` when there are several
    projects), else the files."""
    pipes: list[str] = []
    for f in group.to_dict("records"):
        names = [f.get("pipeline")] + list(f.get("pipelines") or []) if isinstance(f.get("pipelines"), list) \
            else [f.get("pipeline")]
        pipes.extend(n for n in names if isinstance(n, str) and n)
    if pipes:
        return list(dict.fromkeys(pipes))
    paths = [p for p in group["path"] if isinstance(p, str) and p]
    if paths:
        return list(dict.fromkeys(paths))
    projects = [f"project {p}" for p in group["project"] if isinstance(p, str) and p]
    return list(dict.fromkeys(projects))


def write_pages(out: Path, audit: Any, new: set | None = None) -> None:
    """The explorer and pipeline pages of ``out`` with their data files."""
    from auditkit.report.export import ASSETS, nav_links, render_page

    assets = Path(out) / ASSETS
    assets.mkdir(parents=True, exist_ok=True)
    write_data(assets / "findings-data.js", "AK_FINDINGS", findings_data(audit, new))
    write_data(assets / "pipelines-data.js", "AK_PIPELINES", pipelines_data(audit))
    repo = Path(audit.repo_root).name
    for page, template in (("explorer.html", "explorer.html.j2"), ("pipelines.html", "pipelines.html.j2")):
        html = render_page(template, repo=repo, nav=nav_links(), current=page, has_previous=new is not None)
        (Path(out) / page).write_text(html, encoding="utf-8")
