"""The catalogue: every registered rule (all teams') is well-formed and documented; every
practice of both guides is checked or explained; docs/rules.md is current."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from auditkit.model import CATEGORIES, SEVERITIES
from auditkit.engine.base import DOC_SECTIONS, all_rules
from auditkit.engine.catalogue import (
    load_practices, practice_table, render_catalogue, rule_metadata, unknown_practice_refs,
)

ROOT = Path(__file__).resolve().parents[1]
RULES = list(all_rules())
ID_PREFIX = {"blocks": "BLK", "documentation": "DOC", "testing": "TST", "pipelines": "PIP",
             "reliability": "REL", "performance": "PRF", "observability": "OBS", "operations": "OPS",
             "security": "SEC", "deployment": "DEP", "configuration": "CFG"}


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_metadata_is_well_formed(rule):
    assert re.fullmatch(r"MAGE-[A-Z]{3}-\d{3}", rule.id)
    assert rule.id.split("-")[1] == ID_PREFIX[rule.category]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.name
    assert rule.category in CATEGORIES and rule.severity in SEVERITIES
    assert rule.title and not rule.title.endswith(".")
    names = [t.name for t in rule.thresholds]
    assert len(names) == len(set(names))
    for t in rule.thresholds:
        assert t.meaning, f"{rule.id}.{t.name} has no meaning"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_docstring_has_every_section(rule):
    sections = rule.doc_sections()
    assert sections.get("summary"), f"{rule.id}: no one-line summary"
    for name in DOC_SECTIONS:
        assert sections.get(name), f"{rule.id}: docstring lacks a non-empty '{name}' section"
    if rule.thresholds:
        assert sections.get("Options"), f"{rule.id}: has thresholds but no 'Options' section"
        for t in rule.thresholds:
            assert t.name in sections["Options"], f"{rule.id}: Options does not mention {t.name}"


def test_rule_names_are_unique():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))


def test_practice_ids_are_unique_and_well_formed():
    ids = [p["id"] for p in load_practices()]
    assert len(ids) == len(set(ids))
    for p in load_practices():
        assert re.fullmatch(r"(BP|CICD)-[A-Z]+(-[A-Z]+)+", p["id"]), p["id"]
        assert p["guide"] in ("best-practices", "cicd-workflow")
        assert p.get("section") and p.get("summary")
        assert p.get("category") in CATEGORIES


def test_practices_cover_every_section_of_both_guides():
    """Each top-level section of the guides contributes at least one practice."""
    sections = {p["section"].split(" / ")[0] for p in load_practices()}
    for expected in ("Block Design & Architecture", "Pipeline Organization", "Performance Optimization",
                     "Testing & Validation", "Error Handling & Reliability", "Resource Management",
                     "Collaboration & Version Control", "Monitoring & Observability", "Security & Governance",
                     "Deployment & CI/CD", "Git Branch Strategy", "Environment-Specific Configurations"):
        assert expected in sections


def test_every_practice_is_checked_or_explained():
    table = practice_table()
    missing = table[(table["rules"].str.len() == 0) & table["not_checkable"].isna()]["id"].tolist()
    assert missing == [], f"practices neither checked by a rule nor marked not_checkable: {missing}"


def test_rules_name_only_known_practices():
    assert unknown_practice_refs() == {}


def test_catalogue_inverts_rule_practices():
    table = practice_table().set_index("id")
    assert "MAGE-BLK-001" in table.loc["BP-BLOCK-SIZE", "rules"]
    assert "MAGE-PIP-010" in table.loc["BP-PIPELINE-ACYCLIC", "rules"]


def test_json_catalogue_lists_every_rule_and_practice():
    data = json.loads(render_catalogue("json"))
    assert [r["id"] for r in data["rules"]] == [r.id for r in RULES]
    assert len(data["practices"]) == len(load_practices())
    blk1 = next(r for r in data["rules"] if r["id"] == "MAGE-BLK-001")
    assert blk1["thresholds"][0] == {"name": "max_lines", "default": 500,
                                     "meaning": rule_metadata(RULES[0])["thresholds"][0]["meaning"],
                                     "allowed": "integer > 0"}


def test_markdown_catalogue_has_each_rule_section_and_threshold():
    md = render_catalogue("md")
    for rule in RULES:
        assert f"### {rule.id}" in md
        for t in rule.thresholds:
            assert f"`{t.name}`" in md
    assert "## Practices of the guides" in md
    with pytest.raises(ValueError):
        render_catalogue("xml")


def test_docs_rules_md_is_current():
    from auditkit.engine.catalogue import load_precision

    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    precision = load_precision(ROOT / "benchmarks" / "ecosystem" / "precision.csv")
    assert precision, "benchmarks/ecosystem/precision.csv holds the measured precision shown in the docs"
    assert current == render_catalogue("md", precision), "docs/rules.md is stale: run `make docs`"
