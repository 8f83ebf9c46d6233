"""Secret rules: quiet where nothing is wrong, one finding per secret, and the misses found.

Each false-alarm class seen on real Mage repos has a fixture of its own here (written for these
tests, not copied): Mage's io_config template values, placeholders, expressions that name a
secret, commented template keys, example and documentation files, vendored packages, local
development defaults, duplicates. Next to each quiet case a real secret in the same shape fires.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit.readers.repo import read_repo
from auditkit.readers.security import scan_security
from auditkit.readers.templates import template_facts
from auditkit.engine.base import REGISTRY, RuleContext
from test_security_secrets import BLOCK, make_repo

SECRET_RULES = ("MAGE-SEC-001", "MAGE-SEC-002", "MAGE-SEC-003", "MAGE-SEC-004", "MAGE-SEC-005",
                "MAGE-SEC-006", "MAGE-SEC-007", "MAGE-SEC-008", "MAGE-SEC-041")
REAL = "Vq3x9LmT2pQ8rZ7w"        # made up, random-looking: a real credential's shape


def findings(root: Path, rules=SECRET_RULES) -> list:
    inventory = read_repo(root)
    ctx = RuleContext(inventory=inventory, security=scan_security(inventory))
    return [f for rule_id in rules for f in REGISTRY[rule_id](ctx).check()]


def by_rule(found) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in found:
        out.setdefault(f.rule_id, []).append(f)
    return out


def block(body: str) -> str:
    return BLOCK.format(body=body)


def every_template_value_io_config() -> str:
    """An io_config profile holding every key Mage's templates write, with the template's value."""
    lines = ["version: 0.1.1", "default:"]
    nested: dict[str, list[tuple[str, str]]] = {}
    for key, values in sorted(template_facts()["io_config"].items()):
        value = sorted(values)[0]
        head, _, leaf = key.partition(".")
        if leaf:
            nested.setdefault(head, []).append((leaf, value))
        else:
            lines.append(f"  {key}: {json.dumps(value)}")
    for head, pairs in nested.items():
        lines.append(f"  {head}:")
        for leaf, value in pairs:
            if "." in leaf:          # trino.http_headers.X-Something: one level deeper
                outer, inner = leaf.split(".", 1)
                lines += [f"    {outer}:", f"      {inner}: {json.dumps(value)}"]
            else:
                lines.append(f"    {leaf}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def test_every_mage_template_value_is_quiet_and_a_real_value_fires(tmp_path):
    quiet_repo = make_repo(tmp_path / "a", {}, io_config=every_template_value_io_config())
    assert findings(quiet_repo) == []
    io = every_template_value_io_config().replace('ALGOLIA_API_KEY: "api_key"', f"ALGOLIA_API_KEY: {REAL}")
    found = by_rule(findings(make_repo(tmp_path / "b", {}, io_config=io)))
    assert len(found["MAGE-SEC-002"]) == 1 and "MAGE-SEC-001" not in found


@pytest.mark.parametrize("line", [
    "API_TOKEN: API_TOKEN", "api_token: api_token", "SNOWFLAKE_PASSWORD: password", "CLIENT_SECRET: YOUR-CLIENT-SECRET",
    "DB_PASSWORD: '<your password>'", "DB_PASSWORD: your_password", "DB_PASSWORD: Password", "DB_PASSWORD: changeme",
    "PARTNER_API_KEY: PARTNER_CLOUD_API_KEY", "DB_PASSWORD: ${DB_PASSWORD}", "DB_PASSWORD: \"{{ env_var('DB_PW') }}\"",
])
def test_io_config_placeholders_and_references_are_quiet(tmp_path, line):
    io = f"version: 0.1.1\ndefault:\n  {line}\n  OTHER_PASSWORD: {REAL}\n"
    found = by_rule(findings(make_repo(tmp_path, {}, io_config=io)))
    assert [f.line for f in found.get("MAGE-SEC-002", [])] == [4] and "MAGE-SEC-001" not in found


@pytest.mark.parametrize("rel, content", [
    ("proj/data_loaders/secret_name.py", block('    secret_name = "password-" + kwargs.get("env")\n'
                                               '    return get_secret_value(secret_name)')),
    ("proj/data_loaders/secret_call.py", block('    password = get_secret_value("db-password-" + kwargs["env"])\n    return password')),
    ("proj/data_loaders/environ.py", block('    password = os.environ["DB_PASSWORD"]\n    api_key=os.getenv("API_KEY")\n'
                                           '    return password, api_key')),
    ("proj/data_loaders/headers.py", block('    headers = {"Authorization": f"Bearer {kwargs[\'token\']}"}\n'
                                           '    app_token = kwargs["app_token"]\n    return headers, app_token')),
    ("terraform/main.tf", 'resource "x" "y" {\n  secret_name = "mage-db-password"\n  password = var.smtp_password\n}\n'),
    ("proj/.preferences.yaml", "sync_config:\n  ssh_private_key_secret_name: deploy-key-name\n"),
    ("docker-compose.yml", "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n"
                           "      REDIS_PASSWORD: ${REDIS_PASSWORD:-}\n"),
    ("proj/data_loaders/kafka.yaml", "connector_type: kafka\nbootstrap_server: \"localhost:9092\"\n"
                                     "# security_protocol: \"SASL_SSL\"\n# sasl_config:\n#   mechanism: \"PLAIN\"\n"
                                     "#   username: username\n#   password: password\n"),
    (".env.example", f"API_SECRET=replace-with-your-secret\nDB_PASSWORD={REAL}\n"),
    ("docs/setup.md", f"Set `password: {REAL}` in your local profile.\n"),
    ("dbt/proj/dbt_packages/dbt_utils/integration_tests/docker-compose.yml",
     f"services:\n  pg:\n    environment:\n      POSTGRES_PASSWORD: {REAL}\n"),
    ("dbt/proj/dbt_packages/dbt_utils/integration_tests/.env/postgres.env", f"POSTGRES_PASSWORD={REAL}\n"),
    ("dbt/proj/target/compiled/proj/models/m.sql", f"-- password = '{REAL}'\nselect 1\n"),
])
def test_expressions_names_comments_examples_and_vendored_code_are_quiet(tmp_path, rel, content):
    assert findings(make_repo(tmp_path, {rel: content})) == []


@pytest.mark.parametrize("rel, content, rule", [
    ("proj/data_loaders/socrata.py", block(f'    app_token = "{REAL}x9"\n    return app_token'), "MAGE-SEC-001"),
    ("proj/data_loaders/entsoe.py", block('    client = Client(api_key="3f2a9c1e-7b4d-4e8f-9a6b-2c5d8e1f0a7b")\n'
                                          '    return client'), "MAGE-SEC-001"),
    ("proj/data_exporters/push.py", block('    headers = {"Authorization": "Bearer mage_8f3a2c9d1e7b4f6a0c5d2e9b"}\n'
                                          '    return headers'), "MAGE-SEC-001"),
    ("proj/data_loaders/live.py", block(f'    password = "{REAL}"\n    return password'), "MAGE-SEC-001"),
    (".env", f"ENV=dev\nSTRIPE_API_KEY={REAL}\n", "MAGE-SEC-005"),
])
def test_literal_tokens_in_code_fire(tmp_path, rel, content, rule):
    found = by_rule(findings(make_repo(tmp_path, {rel: content})))
    assert len(found.get(rule, [])) == 1, found


DEV_COMPOSE = ("services:\n  metastore:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: airflow\n"
               "      POSTGRES_PASSWORD: airflow\n  minio:\n    image: minio/minio\n    environment:\n"
               "      MINIO_ROOT_PASSWORD: minioadmin\n  app:\n    environment:\n"
               "      DB_URL: postgresql+psycopg2://mage:mage@metastore/mage\n")


def test_local_dev_defaults_are_one_low_advice_not_committed_secrets(tmp_path):
    repo = make_repo(tmp_path / "a", {"docker-compose.yml": DEV_COMPOSE, "other/compose.yaml": DEV_COMPOSE,
                                      "dev.env": "POSTGRES_USER=postgres\nPOSTGRES_PASSWORD=postgres\n",
                                      "store/.env": "STORE_ACCESS_KEY=stackadmin\nSTORE_SECRET_KEY=stackadmin\n"})
    found = by_rule(findings(repo))
    assert set(found) == {"MAGE-SEC-041"}
    assert len(found["MAGE-SEC-041"]) == 1 and found["MAGE-SEC-041"][0].severity == "low"


def test_the_same_defaults_with_production_evidence_are_secrets(tmp_path):
    repo = make_repo(tmp_path, {"deploy/docker-compose.prod.yml": DEV_COMPOSE})
    found = by_rule(findings(repo))
    assert "MAGE-SEC-041" not in found and len(found["MAGE-SEC-001"]) >= 2


def test_one_secret_one_finding(tmp_path):
    sa_key = ('{"type": "service_account", "project_id": "p", "private_key_id": "k",\n'
              ' "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"}\n')
    exporter = block(f'    url = "mysql+pymysql://etl:{REAL}@db.internal/dw"\n    return create_engine(url)')
    io = f"version: 0.1.1\ndefault:\n  MYSQL_PASSWORD: {REAL}\n"
    files = {"creds/sa.json": sa_key, **{f"proj/data_exporters/export_{i}.py": exporter for i in range(4)}}
    found = by_rule(findings(make_repo(tmp_path, files, io_config=io)))
    assert len(found["MAGE-SEC-008"]) == 1 and len(found["MAGE-SEC-002"]) == 1
    assert "MAGE-SEC-001" not in found                                   # key file and copies: one finding each
    assert "4 more places" in found["MAGE-SEC-002"][0].message


def test_a_local_stack_file_keeps_its_other_passwords_as_local_defaults(tmp_path):
    script = f'ADMIN_USER="admin"\nADMIN_PASSWORD="admin"\nif [ "$E2E" = "true" ]; then\n  ADMIN_PASSWORD="{REAL}"\nfi\n'
    compose = DEV_COMPOSE + "    # the product's own mode flag is not the deployment's environment\n" \
                            "      SUPERSET_ENV: production\n"
    found = by_rule(findings(make_repo(tmp_path, {"tools/init.sh": script, "docker-compose.yml": compose})))
    assert set(found) == {"MAGE-SEC-041"}
    # a token in the same file is not part of the stack: it stays a secret
    found = by_rule(findings(make_repo(tmp_path / "b", {"tools/init.sh": script + f'API_TOKEN="{REAL}9x"\n'})))
    assert len(found["MAGE-SEC-001"]) == 1


def test_hashes_in_lock_files_are_not_secrets(tmp_path):
    lock = "packages:\n- package: dbt-labs/dbt_utils\n  version: 1.1.1\nsha1_hash: 9f3a61c0b7e2d4a8c5e1f0b9d7c3a2e4f6b8d0c1\n"
    assert findings(make_repo(tmp_path, {"dbt/proj/package-lock.yml": lock})) == []
