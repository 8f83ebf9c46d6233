"""Firing and quiet cases of every security rule (MAGE-SEC-*), as data.

The security rules read only the frames of ``ctx.security`` (a
:class:`auditkit.readers.security.SecurityScan`), so each case builds a small scan with the rows
that matter; the scanner's own detection is tested in tests/test_security_*.py. Quiet cases are
chosen to sit next to the firing ones (a row of a neighbouring kind or source, a safe setting),
so a rule that ignores its filter fails them.

``CASES``: (rule_id, label, run(tmp_path) -> findings, expected number of findings).
"""
from __future__ import annotations

import pandas as pd

from auditkit.readers.security import SecurityScan
from auditkit.readers.security.accounts import ACCOUNT_COLUMNS, API_TRIGGER_COLUMNS, STORED_SECRET_COLUMNS
from auditkit.readers.security.code_risks import CODE_RISK_COLUMNS
from auditkit.readers.security.deployment import DEPLOYMENT_COLUMNS, SERVER_SETTING_COLUMNS
from auditkit.readers.security.exposure import EXPOSED_COLUMNS
from auditkit.readers.security.secrets import SECRET_COLUMNS
from auditkit.engine.base import REGISTRY, RuleContext

COMPOSE = "docker-compose.yml"


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def secret(source: str, kind: str, path: str = "proj/data_loaders/load_x.py", fingerprint: str | None = None,
           line: int = 4) -> dict:
    from auditkit.model import short_hash

    return {"path": path, "line": line, "kind": kind, "detector": source,
            "fingerprint": fingerprint or short_hash(source, kind), "project": "proj", "source": source,
            "types": []}


def exposed(kind: str, path: str = "x") -> dict:
    return {"path": path, "kind": kind, "reason": f"{kind.replace('_', ' ')} committed", "project": "proj"}


def risk(kind: str, test_id: str = "auditkit") -> dict:
    return {"path": "proj/transformers/t.py", "line": 7, "kind": kind, "test_id": test_id,
            "detail": f"{kind.replace('_', ' ')} found", "project": "proj"}


def deployment(**overrides) -> dict:
    """A Mage compose service with every setting safe; a case overrides what it is about."""
    row = {"path": COMPOSE, "service": "magic", "kind": "compose", "project": None,
           "image": "mageai/mageai:0.9.79", "mage_version": "0.9.79", "image_pinned": True,
           "auth_enabled": True, "auth_source": "setting", "ports_all_interfaces": False,
           "published_ports": ["127.0.0.1:6789:6789"], "jwt_secret": "reference", "owner_password": "unset",
           "notebook_edit": "1", "env": "prod", "production": True, "token_expiry_s": None,
           "authentication_mode": None, "production_evidence": "ENV=prod", "role": "web_server",
           "image_file": COMPOSE, "image_line": 3, "line": 2, "public": None, "image_from_default": False}
    row.update(overrides)
    return row


def account(key: str, **overrides) -> dict:
    """A named editor with a changed password; a case overrides what it is about."""
    row = {"user_key": key, "email_domain": "example.com", "is_owner": False, "is_admin": False,
           "roles": ["Editor"], "legacy_roles": None, "uses_default_password": False, "has_token": False,
           "is_default_owner": False}
    row.update(overrides)
    return row


def api_trigger(**overrides) -> dict:
    row = {"trigger_id": 1, "pipeline": "p1", "name": "hook", "status": "active", "active": True,
           "has_token": True, "token_fingerprint": "0011223344556677"}
    row.update(overrides)
    return row


def command_line(value: str = "literal (redacted): password option", risk_level: str = "high") -> dict:
    return {"path": COMPOSE, "setting": "command_line_credential", "value_summary": value, "mage_version": None,
            "risk": risk_level, "service": "init", "line": 12, "project": None}


def make_scan(*, secrets=(), exposed_files=(), code_risks=(), deployments=(), accounts=(), api_triggers=(),
              stored_secrets=(), committed_trigger_tokens=(), server_settings=(), history_secrets=()) -> SecurityScan:
    """A SecurityScan holding exactly the given rows (every frame has its contract columns)."""
    from auditkit.readers.security.history import HISTORY_COLUMNS, HistoryScan

    return SecurityScan(
        server_settings=frame(list(server_settings), SERVER_SETTING_COLUMNS),
        history=HistoryScan(secrets=frame(list(history_secrets), HISTORY_COLUMNS)),
        secrets=frame(list(secrets), SECRET_COLUMNS), exposed_files=frame(list(exposed_files), EXPOSED_COLUMNS),
        code_risks=frame(list(code_risks), CODE_RISK_COLUMNS), deployments=frame(list(deployments), DEPLOYMENT_COLUMNS),
        accounts=frame(list(accounts), ACCOUNT_COLUMNS), api_triggers=frame(list(api_triggers), API_TRIGGER_COLUMNS),
        stored_secrets=frame(list(stored_secrets), STORED_SECRET_COLUMNS),
        committed_trigger_tokens=set(committed_trigger_tokens), history_read=bool(accounts or api_triggers))


def run_on(rule_id: str, thresholds: dict | None = None, **rows):
    """``run(tmp_path)`` for one rule on a scan built from ``rows``."""
    def run(_tmp_path=None):
        ctx = RuleContext(security=make_scan(**rows),
                          thresholds={rule_id: thresholds} if thresholds else {})
        return list(REGISTRY[rule_id](ctx).check())
    return run


def case(rule_id: str, label: str, expected: int, thresholds: dict | None = None, **rows) -> tuple:
    return (rule_id, label, run_on(rule_id, thresholds, **rows), expected)


# Each secret rule reports rows of its own source only: the quiet case holds the other sources.
SECRET_SOURCES = {"MAGE-SEC-001": ("detect-secrets", "aws_access_key"),
                  "MAGE-SEC-002": ("io_config", "io_config_credential"),
                  "MAGE-SEC-003": ("triggers", "trigger_token"),
                  "MAGE-SEC-004": ("metadata", "openai_api_key"),
                  "MAGE-SEC-005": ("env_file", "env_credential")}
# Each exposed-file rule reports its own kinds only.
EXPOSED_KINDS = {"MAGE-SEC-006": ["env_file"], "MAGE-SEC-007": ["private_key"],
                 "MAGE-SEC-008": ["service_account_key"], "MAGE-SEC-009": ["secrets_key"],
                 "MAGE-SEC-010": ["mage_data_dir", "mage_db"], "MAGE-SEC-011": ["ssh_tunnel_dir", "file_versions_dir"]}
# Each code rule reports its own risk kinds only.
RISK_KINDS = {"MAGE-SEC-012": ["yaml_python_tag"], "MAGE-SEC-013": ["sql_injection"],
              "MAGE-SEC-014": ["dynamic_code"], "MAGE-SEC-015": ["unsafe_deserialization", "unsafe_yaml_load"],
              "MAGE-SEC-016": ["shell_command"], "MAGE-SEC-017": ["pii_in_logs"]}

CASES: list[tuple] = []
for _id, (_source, _kind) in SECRET_SOURCES.items():
    _others = [secret(s, k) for i, (s, k) in SECRET_SOURCES.items() if i != _id]
    CASES += [case(_id, f"{_source} row", 1, secrets=[secret(_source, _kind)] + _others),
              case(_id, "other sources only", 0, secrets=_others)]
for _id, _kinds in EXPOSED_KINDS.items():
    _others = [exposed(k, f"f{n}") for i, ks in EXPOSED_KINDS.items() if i != _id for n, k in enumerate(ks)]
    CASES += [case(_id, "own kinds", len(_kinds), exposed_files=[exposed(k, f"mine{n}") for n, k in enumerate(_kinds)] + _others),
              case(_id, "other kinds only", 0, exposed_files=_others)]
for _id, _kinds in RISK_KINDS.items():
    _others = [risk(k) for i, ks in RISK_KINDS.items() if i != _id for k in ks]
    CASES += [case(_id, "own kinds", len(_kinds), code_risks=[risk(k) for k in _kinds] + _others),
              case(_id, "other kinds only", 0, code_risks=_others)]

CASES += [
    # --- one secret, one finding: a value at several places is reported once, by the most specific rule ---
    case("MAGE-SEC-001", "same value in nine blocks", 1,
         secrets=[secret("detect-secrets", "secret_keyword", f"proj/data_exporters/e{i}.py", "f00d") for i in range(9)]),
    case("MAGE-SEC-001", "same value also in io_config", 0,
         secrets=[secret("io_config", "io_config_credential", "proj/io_config.yaml", "f00d")]
         + [secret("detect-secrets", "secret_keyword", f"proj/data_exporters/e{i}.py", "f00d") for i in range(3)]),
    case("MAGE-SEC-002", "same value also in code", 1,
         secrets=[secret("io_config", "io_config_credential", "proj/io_config.yaml", "f00d")]
         + [secret("detect-secrets", "secret_keyword", f"proj/data_exporters/e{i}.py", "f00d") for i in range(3)]),
    case("MAGE-SEC-001", "key file already reported", 0,
         secrets=[secret("detect-secrets", "private_key", "creds/sa.json")],
         exposed_files=[exposed("service_account_key", "creds/sa.json")]),
    case("MAGE-SEC-006", "credentials reported by SEC-005 or SEC-041", 0,
         secrets=[secret("env_file", "env_credential", ".env"), secret("dev_default", "env_credential", "dev.env")],
         exposed_files=[exposed("env_file", ".env"), exposed("env_file", "dev.env")]),
    case("MAGE-SEC-006", "vendored dbt package", 0,
         exposed_files=[exposed("env_file", "dbt/p/dbt_packages/dbt_utils/integration_tests/.env/postgres.env")]),
    case("MAGE-SEC-041", "defaults in three compose files", 1,
         secrets=[secret("dev_default", "secret_keyword", f"m{i}/compose.yaml", f"d{i}") for i in range(3)]),
    case("MAGE-SEC-041", "no defaults, or the value is also a real secret elsewhere", 0,
         secrets=[secret("dev_default", "secret_keyword", "compose.yaml", "f00d"),
                  secret("io_config", "io_config_credential", "proj/io_config.yaml", "f00d")]),
    case("MAGE-SEC-042", "two secrets only in history, in two files", 2,
         history_secrets=[{**secret("detect-secrets", "aws_access_key", "io_config.yaml"), "commit": "c0ffee" * 6,
                           "committed_at": "2024-01-01T00:00:00+00:00"},
                          {**secret("env_file", "env_credential", ".env"), "commit": "beef" * 10,
                           "committed_at": "2024-02-01T00:00:00+00:00"}]),
    case("MAGE-SEC-042", "secrets in HEAD only", 0, secrets=[secret("detect-secrets", "aws_access_key")]),
    # --- deployments: each firing row differs from the safe default in one setting ---
    case("MAGE-SEC-018", "auth off", 1, deployments=[deployment(auth_enabled=False, auth_source="version default")]),
    case("MAGE-SEC-018", "auth on or unknown", 0, deployments=[deployment(), deployment(service="m2", auth_enabled=None)]),
    case("MAGE-SEC-019", "literal owner password", 1, deployments=[deployment(owner_password="literal")]),
    case("MAGE-SEC-019", "referenced owner password", 0, deployments=[deployment(owner_password="reference")]),
    case("MAGE-SEC-020", "JWT secret unset", 1, deployments=[deployment(jwt_secret="unset")]),
    case("MAGE-SEC-020", "JWT secret literal or referenced", 0,
         deployments=[deployment(), deployment(service="m2", jwt_secret="literal")]),
    case("MAGE-SEC-021", "prod with edit access (two services of one file: one finding)", 1,
         deployments=[deployment(notebook_edit="unset"), deployment(service="m2", notebook_edit="unset")]),
    case("MAGE-SEC-021", "prod with edit access in two files", 2,
         deployments=[deployment(notebook_edit="unset"), deployment(path="deploy/compose.yml", notebook_edit="0")]),
    case("MAGE-SEC-021", "edit off in prod, on in dev", 0,
         deployments=[deployment(), deployment(service="dev", env="dev", production=False, notebook_edit="unset")]),
    case("MAGE-SEC-022", "one-year tokens", 1, deployments=[deployment(token_expiry_s=31_536_000)]),
    case("MAGE-SEC-022", "default or one-day tokens", 0,
         deployments=[deployment(), deployment(service="m2", token_expiry_s=86_400)]),
    case("MAGE-SEC-022", "stricter threshold", 1, {"max_seconds": 3600}, deployments=[deployment(token_expiry_s=86_400)]),
    case("MAGE-SEC-023", "port on all interfaces", 1,
         deployments=[deployment(ports_all_interfaces=True, published_ports=["6789:6789"])]),
    case("MAGE-SEC-023", "port on localhost", 0, deployments=[deployment()]),
    case("MAGE-SEC-024", "latest image", 1,
         deployments=[deployment(image="mageai/mageai:latest", mage_version="latest", image_pinned=False)]),
    case("MAGE-SEC-024", "pinned image", 0, deployments=[deployment()]),
    case("MAGE-SEC-024", "moving tag; unknown tag not judged", 1,
         deployments=[deployment(image="mageai/mageai:nightly", mage_version="nightly", image_pinned=False),
                      deployment(service="m2", image="mageai/mageai:ours", mage_version="ours", image_pinned=None)]),
    # --- local development set-ups: advice or nothing ---
    case("MAGE-SEC-018", "auth off in a dev set-up is low advice", 1,
         deployments=[deployment(auth_enabled=False, production=False, production_evidence=None)]),
    case("MAGE-SEC-018", "auth off on a scheduler (no UI)", 0,
         deployments=[deployment(auth_enabled=False, role="scheduler")]),
    case("MAGE-SEC-018", "public server left to an unpinned image's default", 1,
         deployments=[deployment(auth_source="version default (unpinned image)", public="allUsers",
                                 image_pinned=False, mage_version="latest")]),
    case("MAGE-SEC-020", "JWT unset: dev set-up, Dockerfile, auth off", 0,
         deployments=[deployment(jwt_secret="unset", production=False, production_evidence=None),
                      deployment(path="Dockerfile", kind="dockerfile", service=None, jwt_secret="unset"),
                      deployment(service="m3", jwt_secret="unset", auth_enabled=False)]),
    case("MAGE-SEC-023", "dev quickstart port mapping", 0,
         deployments=[deployment(ports_all_interfaces=True, production=False, production_evidence=None)]),
    case("MAGE-SEC-019", "literal owner password in dev", 1,
         deployments=[deployment(owner_password="literal", production=False, production_evidence=None)]),
    # --- exposed folders: files inside them are named in the folder's finding ---
    case("MAGE-SEC-010", "a DB inside the data folder is part of the folder finding", 1,
         exposed_files=[exposed("mage_data_dir", "mage_data"),
                        dict(exposed("mage_db", "mage_data/p/mage-ai.db"), folder="mage_data")]),
    case("MAGE-SEC-009", "a key inside the data folder is part of the folder finding", 0,
         exposed_files=[dict(exposed("secrets_key", "mage_data/secrets/key"), folder="mage_data")]),
    # --- command lines ---
    case("MAGE-SEC-040", "literal and variable credentials", 2,
         server_settings=[command_line(), command_line("reference: minio client secret key", "low")]),
    case("MAGE-SEC-040", "other settings only", 0,
         server_settings=[dict(command_line(), setting="JWT_SECRET", value_summary="literal (redacted)")]),
    # --- accounts (read from the run history by the scanner) ---
    case("MAGE-SEC-025", "default password", 1,
         accounts=[account("u1", uses_default_password=True, is_owner=True, is_default_owner=True), account("u2")]),
    case("MAGE-SEC-025", "changed or unchecked passwords", 0,
         accounts=[account("u1", is_owner=True), account("u2", uses_default_password=None)]),
    case("MAGE-SEC-026", "four admins", 1,
         accounts=[account(f"u{i}", is_admin=True, roles=["Admin"]) for i in range(4)] + [account("u9")]),
    case("MAGE-SEC-026", "three admins", 0,
         accounts=[account("u0", is_owner=True, roles=["Owner"])]
         + [account(f"u{i}", is_admin=True, roles=["Admin"]) for i in range(1, 3)] + [account("u9")]),
    case("MAGE-SEC-027", "user without role", 1, accounts=[account("u1", roles=[]), account("u2")]),
    case("MAGE-SEC-027", "roles, legacy bits or owner flag", 0,
         accounts=[account("u1"), account("u2", roles=[], legacy_roles=2), account("u3", roles=[], is_owner=True)]),
    case("MAGE-SEC-028", "active API trigger with token", 1, api_triggers=[api_trigger()]),
    case("MAGE-SEC-028", "inactive or tokenless", 0,
         api_triggers=[api_trigger(active=False, status="inactive"), api_trigger(trigger_id=2, name="h2", has_token=False)]),
    case("MAGE-SEC-029", "stored secrets and committed key", 1,
         stored_secrets=[{"n_secrets": 3, "n_legacy": 0, "n_scopes": 1}],
         exposed_files=[exposed("secrets_key", "mage_data/secrets/key")]),
    case("MAGE-SEC-029", "stored secrets, no key committed", 0,
         stored_secrets=[{"n_secrets": 3, "n_legacy": 0, "n_scopes": 1}], exposed_files=[exposed("env_file", ".env")]),
    case("MAGE-SEC-029", "committed key, no stored secrets", 0,
         stored_secrets=[{"n_secrets": 0, "n_legacy": 0, "n_scopes": 0}],
         exposed_files=[exposed("secrets_key", "mage_data/secrets/key")]),
]
