"""auditkit.yaml: the user's thresholds, rule switches, severities, path globs and waivers.

The file sits at the audited repo's root (or is given with ``--config``, or passed as a dict,
e.g. a papermill parameter). It is validated strictly: any mistake raises :class:`ConfigError`
naming the bad key, because a silently ignored waiver or threshold is worse than a stop.

    thresholds: {MAGE-BLK-001: {max_lines: 400}, block-above-ideal-size: {ideal_max: 250}}
    rules: {MAGE-DOC-002: false}        # or  disable: [MAGE-DOC-002]
    severity: {MAGE-PIP-003: high}
    include: ["analytics/**"]            # only findings under these paths (default: all)
    exclude: ["**/scratch/**"]           # not read, no findings
    waivers:
      - {rule: MAGE-BLK-002, path: "**/legacy/**", reason: "being rewritten", expires: 2026-06-30}
    mage_env: prod                       # Mage's get_env() of the server whose history is audited

``mage_env`` (dev, staging, prod, test) is the environment the audited run history comes from:
a trigger whose ``envs`` leave it out is never synced there. Without it the rules infer it from
the history (the one environment whose env-restricted triggers reached the DB), else they treat
it as unknown and say nothing that depends on it.
"""
from __future__ import annotations

import datetime as dt

from pathlib import Path
from typing import Any

import yaml

from auditkit.engine.base import all_rules
from auditkit.engine.settings import Config, Waiver
from auditkit.model import SEVERITIES

CONFIG_FILE = "auditkit.yaml"
TOP_LEVEL_KEYS = ("thresholds", "rules", "disable", "severity", "include", "exclude", "waivers", "mage_env")
MAGE_ENVS = ("dev", "staging", "prod", "test")           # Mage's get_env() values (reference section 4.1)
WAIVER_KEYS = ("rule", "path", "pipeline", "reason", "expires")


class ConfigError(ValueError):
    """A malformed auditkit configuration; the message names the offending key."""


def load_config(source: Any, repo_root: str | Path | None) -> Config:
    """Load and validate a configuration.

    ``source`` is a path to a YAML file, a dict of the same shape, a :class:`Config`, or None
    (then ``<repo_root>/auditkit.yaml`` is used when it exists, else the defaults).
    """
    if isinstance(source, Config):
        return source
    if source is None:
        candidate = Path(repo_root) / CONFIG_FILE if repo_root is not None else None
        if candidate is None or not candidate.is_file():
            return Config()
        return parse_config(_read_yaml(candidate), source=str(candidate))
    if isinstance(source, dict):
        return parse_config(source, source="dict")
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return parse_config(_read_yaml(path), source=str(path))
    raise ConfigError(f"config must be a file path or a mapping, not {type(source).__name__}")


class _ConfigLoader(yaml.SafeLoader):
    """Safe loader that keeps an impossible date (2026-13-01) as text, so validation can
    name the key holding it instead of failing inside the parser."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {type(exc).__name__}") from None
    try:
        data = yaml.load(text, Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: malformed YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    return {} if data is None else data


def parse_config(data: Any, source: str | None = None) -> Config:
    """Validate a mapping of the auditkit.yaml shape into a :class:`Config`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"top level: expected a mapping, got {type(data).__name__}")
    unknown = [k for k in data if k not in TOP_LEVEL_KEYS]
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key (allowed: {', '.join(TOP_LEVEL_KEYS)})")
    rules = _rules_by_key()
    cfg = Config(source=source)
    cfg.thresholds = _parse_thresholds(data.get("thresholds"), rules)
    cfg.disabled, cfg.enabled = _parse_switches(data.get("rules"), data.get("disable"), rules)
    cfg.severity = _parse_severity(data.get("severity"), rules)
    cfg.include = _string_list(data.get("include"), "include")
    cfg.exclude = _string_list(data.get("exclude"), "exclude")
    cfg.waivers = _parse_waivers(data.get("waivers"), rules)
    cfg.mage_env = _parse_mage_env(data.get("mage_env"))
    return cfg


def _parse_mage_env(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in MAGE_ENVS:
        raise ConfigError(f"mage_env: expected one of {', '.join(MAGE_ENVS)}, got {value!r}")
    return value.strip().lower()


def _rules_by_key() -> dict[str, type]:
    """Registered rules by id and by name (both are accepted in the config)."""
    table: dict[str, type] = {}
    for rule in all_rules():
        table[rule.id] = rule
        table[rule.name] = rule
    return table


def _rule_id(key: Any, where: str, rules: dict[str, type]) -> str:
    if not isinstance(key, str) or key not in rules:
        raise ConfigError(f"{where}: unknown rule {key!r} (see `auditkit rules`)")
    return rules[key].id


def _mapping(value: Any, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of strings, got {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ConfigError(f"{where}[{i}]: expected a non-empty string, got {item!r}")
    return list(value)


def _parse_thresholds(value: Any, rules: dict[str, type]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for key, options in _mapping(value, "thresholds").items():
        rule_id = _rule_id(key, f"thresholds.{key}", rules)
        known = {t.name: t for t in rules[rule_id].thresholds}
        for name, val in _mapping(options, f"thresholds.{key}").items():
            where = f"thresholds.{key}.{name}"
            if name not in known:
                allowed = ", ".join(known) or "none"
                raise ConfigError(f"{where}: unknown threshold (allowed: {allowed})")
            result.setdefault(rule_id, {})[name] = _typed_like(val, known[name].default, where)
    return result


def _typed_like(value: Any, default: Any, where: str) -> Any:
    """Check ``value`` has the type of the threshold's default (ints pass for floats)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, (list, tuple)):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok and isinstance(default, tuple) else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:
        ok = True
    if not ok:
        raise ConfigError(f"{where}: expected {type(default).__name__}, got {value!r}")
    return value


def _parse_switches(rules_value: Any, disable_value: Any, rules: dict[str, type]) -> tuple[set[str], set[str]]:
    """(switched off, switched on) rule ids; ``disable`` wins over ``rules: {ID: true}``."""
    disabled: set[str] = set()
    enabled: set[str] = set()
    for key, on in _mapping(rules_value, "rules").items():
        rule_id = _rule_id(key, f"rules.{key}", rules)
        if not isinstance(on, bool):
            raise ConfigError(f"rules.{key}: expected true or false, got {on!r}")
        (enabled if on else disabled).add(rule_id)
    for i, key in enumerate(_string_list(disable_value, "disable")):
        disabled.add(_rule_id(key, f"disable[{i}]", rules))
    return disabled, enabled - disabled


def _parse_severity(value: Any, rules: dict[str, type]) -> dict[str, str]:
    result: dict[str, str] = {}
    for key, severity in _mapping(value, "severity").items():
        rule_id = _rule_id(key, f"severity.{key}", rules)
        if not isinstance(severity, str) or severity.lower() not in SEVERITIES:
            raise ConfigError(f"severity.{key}: expected one of {', '.join(SEVERITIES)}, got {severity!r}")
        result[rule_id] = severity.lower()
    return result


def _parse_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where}: not a date: {value!r} (use YYYY-MM-DD)")


def _parse_waivers(value: Any, rules: dict[str, type]) -> list[Waiver]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"waivers: expected a list, got {type(value).__name__}")
    waivers = []
    for i, item in enumerate(value):
        where = f"waivers[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(item).__name__}")
        unknown = [k for k in item if k not in WAIVER_KEYS]
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(WAIVER_KEYS)})")
        if "rule" not in item:
            raise ConfigError(f"{where}.rule: missing")
        rule_id = _rule_id(item["rule"], f"{where}.rule", rules)
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where}.reason: missing (every waiver needs a reason)")
        patterns = {}
        for key in ("path", "pipeline"):
            if item.get(key) is not None:
                if not isinstance(item[key], str) or not item[key]:
                    raise ConfigError(f"{where}.{key}: expected a glob string, got {item[key]!r}")
                patterns[key] = item[key]
        expires = _parse_date(item["expires"], f"{where}.expires") if item.get("expires") is not None else None
        waivers.append(Waiver(index=i, rule=rule_id, reason=reason.strip(), expires=expires, **patterns))
    return waivers
