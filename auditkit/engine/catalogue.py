"""The rule catalogue and the practice table, generated from the rule classes.

``render_catalogue("md")`` is what ``docs/rules.md`` holds (``make docs``); ``"json"`` is the
same content for tools. The practice table lists every practice of both guides
(``practices.yaml``) with the rules that check it (inverted from each rule's ``practices``)
or the reason it cannot be checked.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from auditkit.model import CATEGORIES
from auditkit.engine.base import Rule, all_rules

PRACTICES_FILE = Path(__file__).with_name("practices.yaml")
GUIDES = {
    "best-practices": "Mage best practices guide",
    "cicd-workflow": "Mage Pro CI/CD workflow guide",
}


@lru_cache(maxsize=1)
def load_practices() -> tuple[dict, ...]:
    """The practice entries of practices.yaml, in file order."""
    data = yaml.safe_load(PRACTICES_FILE.read_text(encoding="utf-8")) or {}
    return tuple(data.get("practices") or [])


def rule_metadata(rule: type[Rule]) -> dict:
    """Everything the catalogue says about one rule, JSON-ready."""
    sections = rule.doc_sections()
    return {
        "id": rule.id,
        "name": rule.name,
        "title": rule.title,
        "category": rule.category,
        "severity": rule.severity,
        "needs": sorted(rule.needs),
        "off_by_default": rule.off_by_default,
        "practices": list(rule.practices),
        "summary": sections.get("summary", ""),
        "what_it_checks": sections.get("What it checks", ""),
        "why_it_matters": sections.get("Why it matters", ""),
        "example": sections.get("Example", ""),
        "fix": sections.get("Fix", ""),
        "options": sections.get("Options", ""),
        "thresholds": [
            {"name": t.name, "default": t.default, "meaning": t.meaning, "allowed": t.allowed}
            for t in rule.thresholds
        ],
    }


def rules_frame() -> pd.DataFrame:
    """One row per registered rule: id, name, title, category, severity, practices."""
    rows = [rule_metadata(r) for r in all_rules()]
    return pd.DataFrame(rows, columns=["id", "name", "title", "category", "severity", "off_by_default", "needs", "practices",
                                       "summary", "what_it_checks", "why_it_matters", "example", "fix",
                                       "options", "thresholds"])


def practice_table() -> pd.DataFrame:
    """One row per practice: id, guide, section, summary, category, rules, not_checkable, unknown.

    ``rules`` lists the rule ids that declare the practice. ``not_checkable`` is the reason
    given in practices.yaml (None when rules check it).
    """
    checked_by: dict[str, list[str]] = {}
    for rule in all_rules():
        for practice in rule.practices:
            checked_by.setdefault(practice, []).append(rule.id)
    rows = []
    for p in load_practices():
        rules = sorted(checked_by.get(p["id"], []))
        rows.append({
            "id": p["id"], "guide": p.get("guide"), "section": p.get("section"),
            "summary": p.get("summary"), "category": p.get("category"), "rules": rules,
            "not_checkable": None if rules else p.get("not_checkable"),
        })
    return pd.DataFrame(rows, columns=["id", "guide", "section", "summary", "category", "rules", "not_checkable"])


def unknown_practice_refs() -> dict[str, list[str]]:
    """Rule id -> practice ids it declares that practices.yaml does not list."""
    known = {p["id"] for p in load_practices()}
    bad = {r.id: [p for p in r.practices if p not in known] for r in all_rules()}
    return {k: v for k, v in bad.items() if v}


def load_precision(path: str | Path | None) -> dict[str, dict]:
    """Rule id -> {findings, labelled, precision} from the ecosystem check's CSV ({} without one)."""
    if not path:
        return {}
    frame = pd.read_csv(path, dtype={"rule": str})
    out = {}
    for row in frame.to_dict("records"):
        p = row.get("precision")
        out[row["rule"]] = {"findings": int(row["findings"]), "labelled": int(row["labelled"]),
                            "precision": None if pd.isna(p) else float(p)}
    return out


def render_catalogue(fmt: str = "md", precision: dict[str, dict] | None = None) -> str:
    """The catalogue as Markdown (``md``) or JSON (``json``); ``precision`` (see
    :func:`load_precision`) adds each rule's measured precision on real repos."""
    precision = precision or {}
    if fmt == "json":
        payload = {
            "rules": [{**rule_metadata(r), "measured": precision.get(r.id)} for r in all_rules()],
            "practices": practice_table().to_dict("records"),
        }
        return json.dumps(payload, indent=2, default=str) + "\n"
    if fmt == "md":
        return _markdown(precision)
    raise ValueError(f"unknown catalogue format {fmt!r} (md or json)")


def _cell(text: object) -> str:
    """Make text safe for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _measured(m: dict | None) -> str:
    if not m or not m["labelled"]:
        return "not measured" if not m else f"0 labelled of {m['findings']}"
    return f"{100 * m['precision']:.0f}% ({m['labelled']} labelled)"


def _markdown(precision: dict[str, dict]) -> str:
    rules = [rule_metadata(r) for r in all_rules()]
    practices = practice_table()
    out = [
        "# auditkit rule catalogue",
        "",
        "Generated from the rule classes by `auditkit rules --format md > docs/rules.md`; do not edit by hand.",
        "Thresholds, severities, switches and waivers are set in `auditkit.yaml` (see `auditkit/config.py`).",
        "",
        "**Precision** is measured by the ecosystem check (`benchmarks/ecosystem/`): the share of a",
        "rule's labelled findings on real public Mage repos that an experienced Mage engineer would",
        "want fixed (wrong findings and noise count against it). Rules that did not hold up are",
        "**off by default**; `rules: {ID: true}` in `auditkit.yaml` switches one on.",
        "",
        "## Rules",
        "",
        "| id | name | category | severity | default | precision | title |",
        "|---|---|---|---|---|---|---|",
    ]
    order = {c: i for i, c in enumerate(CATEGORIES)}
    rules.sort(key=lambda r: (order.get(r["category"], 99), r["id"]))
    out += [f"| [{r['id']}](#{r['id'].lower()}) | `{r['name']}` | {r['category']} | {r['severity']} | "
            f"{'off' if r['off_by_default'] else 'on'} | {_measured(precision.get(r['id']))} | {_cell(r['title'])} |"
            for r in rules]
    for r in rules:
        out += ["", f"### {r['id']}", "", f"**{r['title']}** (`{r['name']}`): {_cell(r['summary'])}", "",
                f"- Category: {r['category']}",
                f"- Default severity: {r['severity']}",
                f"- On by default: {'no: ' + _cell(r['off_by_default']) if r['off_by_default'] else 'yes'}",
                f"- Measured precision: {_measured(precision.get(r['id']))}",
                f"- Needs: {', '.join(r['needs']) or 'nothing (configuration)'}",
                f"- Practices: {', '.join(r['practices']) or '-'}"]
        if r["thresholds"]:
            out += ["", "| threshold | default | meaning | allowed |", "|---|---|---|---|"]
            out += [f"| `{t['name']}` | `{_cell(json.dumps(t['default']))}` | {_cell(t['meaning'])} | {_cell(t['allowed'])} |"
                    for t in r["thresholds"]]
        for title, key in (("What it checks", "what_it_checks"), ("Why it matters", "why_it_matters"),
                           ("Example", "example"), ("How to fix", "fix")):
            out += ["", f"**{title}.** {' '.join(r[key].split())}"]
    out += ["", "## Practices of the guides", "",
            "Every practice of " + " and ".join(f"the {v} (`{k}`)" for k, v in GUIDES.items())
            + ", with the rules that check it or the reason it cannot be checked automatically.", "",
            "| practice | guide | section | summary | checked by |", "|---|---|---|---|---|"]
    for p in practices.to_dict("records"):
        checked = ", ".join(f"[{r}](#{r.lower()})" for r in p["rules"]) if p["rules"] else \
            f"not checkable: {_cell(p['not_checkable'] or 'MISSING REASON')}"
        out.append(f"| {p['id']} | {p['guide']} | {_cell(p['section'])} | {_cell(p['summary'])} | {checked} |")
    return "\n".join(out) + "\n"

