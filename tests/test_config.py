"""auditkit.yaml loading and strict validation."""
from __future__ import annotations

import datetime as dt

import pytest

from auditkit.config import Config, ConfigError, load_config, parse_config


def test_no_source_and_no_file_gives_defaults(tmp_path):
    cfg = load_config(None, tmp_path)
    assert cfg.thresholds == {} and cfg.disabled == set() and cfg.waivers == [] and cfg.exclude == []


def test_repo_root_file_is_found_and_rule_names_map_to_ids(tmp_path):
    (tmp_path / "auditkit.yaml").write_text(
        "thresholds:\n  block-too-large: {max_lines: 400}\n  MAGE-PIP-005: {max_blocks: 40}\n"
        "rules: {MAGE-DOC-001: false, MAGE-DOC-002: true}\n"
        "disable: [pipeline-untagged]\n"
        "severity: {MAGE-PIP-001: HIGH}\n"
        "exclude: ['**/scratch/**']\ninclude: proj/**\n"
        "waivers:\n  - {rule: block-naming, path: 'proj/legacy/**', reason: rewrite pending, expires: 2030-01-31}\n")
    cfg = load_config(None, tmp_path)
    assert cfg.thresholds == {"MAGE-BLK-001": {"max_lines": 400}, "MAGE-PIP-005": {"max_blocks": 40}}
    assert cfg.disabled == {"MAGE-DOC-001", "MAGE-PIP-002"}
    assert cfg.severity == {"MAGE-PIP-001": "high"}
    assert cfg.exclude == ["**/scratch/**"] and cfg.include == ["proj/**"]
    (w,) = cfg.waivers
    assert (w.rule, w.path, w.pipeline, w.reason, w.expires) == \
        ("MAGE-BLK-007", "proj/legacy/**", None, "rewrite pending", dt.date(2030, 1, 31))


def test_explicit_file_and_dict_and_config_sources(tmp_path):
    path = tmp_path / "custom.yaml"
    path.write_text("disable: [MAGE-BLK-003]\n")
    assert load_config(str(path), None).disabled == {"MAGE-BLK-003"}
    assert load_config({"disable": ["MAGE-BLK-003"]}, None).disabled == {"MAGE-BLK-003"}
    cfg = Config(disabled={"X"})
    assert load_config(cfg, None) is cfg
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "missing.yaml"), None)


def test_list_thresholds_accept_string_lists():
    cfg = parse_config({"thresholds": {"MAGE-PIP-001": {"frequency_words": ["daily", "fortnightly"]}}})
    assert cfg.thresholds["MAGE-PIP-001"]["frequency_words"] == ["daily", "fortnightly"]


@pytest.mark.parametrize("data,message", [
    ({"threshold": {}}, "threshold: unknown key"),
    ([1, 2], "top level: expected a mapping"),
    ({"thresholds": {"MAGE-XXX-999": {"a": 1}}}, "thresholds.MAGE-XXX-999: unknown rule"),
    ({"thresholds": {"MAGE-BLK-001": {"max_line": 3}}}, "thresholds.MAGE-BLK-001.max_line: unknown threshold"),
    ({"thresholds": {"MAGE-BLK-001": {"max_lines": "many"}}}, "thresholds.MAGE-BLK-001.max_lines: expected int"),
    ({"thresholds": {"MAGE-BLK-001": {"max_lines": True}}}, "thresholds.MAGE-BLK-001.max_lines: expected int"),
    ({"thresholds": {"MAGE-PIP-001": {"frequency_words": "daily"}}}, "frequency_words: expected list"),
    ({"thresholds": {"MAGE-BLK-001": 5}}, "thresholds.MAGE-BLK-001: expected a mapping"),
    ({"rules": {"MAGE-BLK-001": "off"}}, "rules.MAGE-BLK-001: expected true or false"),
    ({"rules": {"nope": False}}, "rules.nope: unknown rule"),
    ({"disable": ["MAGE-BLK-001", 7]}, r"disable\[1\]"),
    ({"severity": {"MAGE-BLK-001": "urgent"}}, "severity.MAGE-BLK-001: expected one of"),
    ({"exclude": "ok", "include": [None]}, r"include\[0\]"),
    ({"waivers": {"rule": "MAGE-BLK-001"}}, "waivers: expected a list"),
    ({"waivers": [{"rule": "MAGE-BLK-001", "reason": "x"}, "oops"]}, r"waivers\[1\]: expected a mapping"),
    ({"waivers": [{"rule": "MAGE-BLK-001"}]}, r"waivers\[0\].reason: missing"),
    ({"waivers": [{"rule": "MAGE-BLK-001", "reason": "  "}]}, r"waivers\[0\].reason: missing"),
    ({"waivers": [{"reason": "x"}]}, r"waivers\[0\].rule: missing"),
    ({"waivers": [{"rule": "MAGE-BLK-001", "reason": "x", "expires": "soon"}]}, r"waivers\[0\].expires: not a date: 'soon'"),
    ({"waivers": [{"rule": "MAGE-BLK-001", "reason": "x", "owner": "me"}]}, r"waivers\[0\].owner: unknown key"),
    ({"waivers": [{"rule": "MAGE-BLK-001", "reason": "x", "path": 3}]}, r"waivers\[0\].path: expected a glob"),
])
def test_bad_config_names_the_key(data, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(data)


def test_impossible_date_in_a_file_names_the_waiver(tmp_path):
    path = tmp_path / "auditkit.yaml"
    path.write_text("waivers:\n"
                    "  - {rule: MAGE-BLK-001, reason: a, expires: 2030-01-01}\n"
                    "  - {rule: MAGE-BLK-002, reason: b}\n"
                    "  - {rule: MAGE-BLK-003, reason: c, expires: 2026-13-01}\n")
    with pytest.raises(ConfigError, match=r"waivers\[2\]\.expires: not a date: '2026-13-01'"):
        load_config(str(path), None)


def test_malformed_yaml_is_a_config_error_with_line(tmp_path):
    path = tmp_path / "auditkit.yaml"
    path.write_text("thresholds:\n  MAGE-BLK-001: {max_lines: 3\n")
    with pytest.raises(ConfigError, match="malformed YAML"):
        load_config(None, tmp_path)


def test_python_tags_are_not_executed(tmp_path):
    path = tmp_path / "auditkit.yaml"
    path.write_text("include: !!python/object/apply:os.getcwd []\n")
    with pytest.raises(ConfigError):
        load_config(str(path), None)
