"""Secret discovery and exposed files: each detection fires on a bad file and stays quiet on a good one."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.model import short_hash
from auditkit.readers.repo import read_repo
from auditkit.readers.security import scan_security

TEMPLATE = Path(__file__).parent / "fixtures" / "security" / "io_config_template.yaml"
BLOCK = "from mage_ai.data_preparation.decorators import data_loader\n\n@data_loader\ndef load(*args, **kwargs):\n{body}\n"
PIPELINE = "blocks:\n- uuid: load_x\n  type: data_loader\n  language: python\nname: p1\ntype: python\nuuid: p1\n"


def make_repo(root: Path, files: dict[str, str | bytes], io_config: str | None = None) -> Path:
    """A minimal Mage repo (project ``proj``) plus ``files`` (repo-relative path -> content)."""
    base = {
        "proj/metadata.yaml": "project_type: standalone\nvariables_dir: ~/.mage_data\n",
        "proj/io_config.yaml": io_config if io_config is not None else TEMPLATE.read_text(),
        "proj/pipelines/p1/metadata.yaml": PIPELINE,
        "proj/data_loaders/load_x.py": BLOCK.format(body="    return 1"),
    }
    for rel, content in {**base, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def scan(root: Path, history=None):
    return scan_security(read_repo(root), history=history)


def test_unchanged_template_io_config_gives_no_secret(tmp_path):
    result = scan(make_repo(tmp_path, {}))
    assert result.secrets.empty, result.secrets[["path", "line", "kind"]].to_dict("records")
    assert result.exposed_files.empty


def test_io_config_literal_credential_fires_with_fingerprint_not_value(tmp_path):
    io = TEMPLATE.read_text() + "prod:\n  POSTGRES_PASSWORD: Xq7-rotated-Passw0rd\n  POSTGRES_USER: etl_user\n" \
        "  SNOWFLAKE_PASSWORD: \"{{ mage_secret_var('snowflake') }}\"\n"
    result = scan(make_repo(tmp_path, {}, io_config=io))
    rows = result.secrets[result.secrets["source"] == "io_config"]
    assert rows["detector"].tolist() == ["io_config:prod.POSTGRES_PASSWORD"]   # user name and secret var are fine
    assert rows["fingerprint"].iloc[0] == short_hash("Xq7-rotated-Passw0rd")
    assert "Xq7-rotated-Passw0rd" not in result.secrets.to_csv()
    # the generic detector's hit on the same line is merged into the Mage-specific row
    assert len(result.secrets[result.secrets["path"] == "proj/io_config.yaml"]) == 1


@pytest.mark.parametrize("rel, content, kind", [
    ("proj/data_loaders/load_s3.py", BLOCK.format(body='    key = "AKIAZ3QX7Q2W4E6RT8YU"\n    return key'), "aws_access_key"),
    ("proj/utils/db.py", 'ENGINE_URL = "postgresql://etl:Tr0ub4dor-33@db.internal:5432/dw"\n', "basic_auth_credentials"),
    ("proj/data_loaders/load_api.py", BLOCK.format(body='    password = "hunter2-but-longer-9"\n    return password'), "secret_keyword"),
])
def test_generic_detector_finds_secrets_in_any_file(tmp_path, rel, content, kind):
    result = scan(make_repo(tmp_path, {rel: content}))
    assert kind in set(result.secrets.loc[result.secrets["path"] == rel, "kind"])


def test_generic_detector_ignores_env_lookups_and_plain_code(tmp_path):
    body = "    import os\n    password = os.getenv('DB_PASSWORD')\n    token = kwargs.get('token')\n    return password, token"
    result = scan(make_repo(tmp_path, {"proj/data_loaders/load_ok.py": BLOCK.format(body=body)}))
    assert result.secrets.empty


def test_trigger_token_fires_and_null_token_does_not(tmp_path):
    triggers = ("triggers:\n- name: hook\n  schedule_type: api\n  schedule_interval: null\n  start_time: null\n"
                "  status: active\n  token: 8c1d0e5f2a3b4c6d7e8f9a0b1c2d3e4f\n"
                "- name: daily\n  schedule_type: time\n  schedule_interval: '@daily'\n  start_time: 2024-01-01\n"
                "  status: active\n  token: null\n")
    result = scan(make_repo(tmp_path, {"proj/pipelines/p1/triggers.yaml": triggers}))
    rows = result.secrets[result.secrets["kind"] == "trigger_token"]
    assert rows["line"].tolist() == [7]
    assert result.committed_trigger_tokens == {short_hash("8c1d0e5f2a3b4c6d7e8f9a0b1c2d3e4f")}


def test_a_token_left_on_a_time_trigger_opens_nothing(tmp_path):
    """Mage's trigger endpoint refuses every schedule type but ``api``: only API tokens count."""
    triggers = ("triggers:\n- name: nightly\n  schedule_type: time\n  schedule_interval: '@daily'\n"
                "  start_time: 2024-01-01\n  status: active\n  token: 2b7e151628aed2a6abf7158809cf4f3c\n"
                "- name: hook\n  schedule_type: api\n  schedule_interval: null\n  start_time: null\n"
                "  status: active\n  token: 9f86d081884c7d659a2feaa0c55ad015\n")
    result = scan(make_repo(tmp_path, {"proj/pipelines/p1/triggers.yaml": triggers}))
    rows = result.secrets[result.secrets["kind"] == "trigger_token"]
    assert rows["line"].tolist() == [13]
    assert result.committed_trigger_tokens == {short_hash("9f86d081884c7d659a2feaa0c55ad015")}


def test_metadata_openai_key_and_literal_webhook_fire_but_env_var_does_not(tmp_path):
    meta = ("project_type: standalone\nopenai_api_key: sk-live-abcdefghijklmnop1234\n"
            "notification_config:\n  slack_config:\n    webhook_url: https://hooks.slack.com/services/T0/B0/XyZ\n"
            "  teams_config:\n    webhook_url: \"{{ env_var('TEAMS_URL') }}\"\n")
    result = scan(make_repo(tmp_path, {"proj/metadata.yaml": meta}))
    rows = result.secrets[result.secrets["source"] == "metadata"]
    assert sorted(rows["kind"]) == ["openai_api_key", "webhook_url"]
    assert 7 not in rows["line"].tolist()


def test_env_file_is_exposed_and_its_credentials_found_but_example_is_not(tmp_path):
    result = scan(make_repo(tmp_path, {
        ".env": "ENV=dev\nPOSTGRES_PASSWORD=n0t-a-placeholder\nJWT_SECRET=${JWT_SECRET}\n",
        ".env.example": "POSTGRES_PASSWORD=\n"}))
    assert result.exposed_files[["path", "kind"]].values.tolist() == [[".env", "env_file"]]
    env_rows = result.secrets[result.secrets["source"] == "env_file"]
    assert env_rows["line"].tolist() == [2]


@pytest.mark.parametrize("rel, content, kind", [
    ("deploy/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n", "private_key"),
    ("creds/sa.json", '{"type": "service_account", "project_id": "x", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE\\n"}',
     "service_account_key"),
    ("mage_data/secrets/key", "Zm9vYmFyYmF6", "secrets_key"),
    ("mage_data/proj/mage-ai.db", b"SQLite format 3\x00", "mage_db"),
    ("mage_data/proj/pipelines/p1/scheduler_state.json", "{}", "mage_data_dir"),
    ("proj/.ssh_tunnel/aws_emr.json", '{"master_host": "10.0.0.5"}', "ssh_tunnel_dir"),
    ("proj/.file_versions/io_config.yaml/1718000000", "x", "file_versions_dir"),
])
def test_exposed_file_kinds(tmp_path, rel, content, kind):
    result = scan(make_repo(tmp_path, {rel: content}))
    assert kind in set(result.exposed_files["kind"])


def test_pem_text_quoted_in_yaml_or_a_certificate_is_not_a_key_file(tmp_path):
    result = scan(make_repo(tmp_path, {"certs/ca.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}))
    assert "private_key" not in set(result.exposed_files["kind"])


def test_symlink_outside_the_repo_is_never_read(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text('password = "outside-secret-value-1"\n')
    repo = make_repo(tmp_path / "repo", {})
    (repo / "proj" / "utils").mkdir(parents=True, exist_ok=True)
    (repo / "proj" / "utils" / "link.py").symlink_to(outside / "secret.py")
    result = scan(repo)
    assert result.secrets.empty


def test_audit_is_read_only(tmp_path):
    repo = make_repo(tmp_path, {".env": "POSTGRES_PASSWORD=abc-123-def\n"})
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    scan(repo)
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_demo_shows_the_planted_problems():
    from auditkit.demo.build import DEMO_PROJECT_DIR
    result = scan(DEMO_PROJECT_DIR)
    kinds = set(result.secrets["kind"])
    # the demo's literal Snowflake password and committed trigger token, not its template placeholders
    assert {"io_config_credential", "trigger_token"} <= kinds
    assert not result.secrets["path"].eq("analytics_hub/io_config.yaml").sum() > 1


def test_copying_a_secret_keeps_its_fingerprint(tmp_path):
    content = 'PASSWORD = "same-value-in-two-files-7"\n'
    result = scan(make_repo(tmp_path, {"proj/utils/a.py": content, "proj/utils/b.py": content}))
    prints = result.secrets.groupby("path")["fingerprint"].first()
    assert prints["proj/utils/a.py"] == prints["proj/utils/b.py"]
    shutil.rmtree(tmp_path / "proj" / "utils")


_PIECES = ["pass", "PWD", "Token", "api_key", "sk-", "GHP_", "sg.", "eyJ", "://u:p@h", "://h/x", "'", '"',
           "abcdefghijklmnopqrstu", "\n", " ", "x", "_", "-", ".", "Begin", "hooks", "://a:b c@d"]


# One line per kind of detect-secrets plugin (made-up values), plus near misses.
_PLUGIN_LINES = [
    'aws_key = "AKIAZ3QX7Q2W4E6RT8YU"', 'aws_secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY1"',
    'url = "postgresql://etl:Tr0ub4dor-33@db.internal:5432/dw"', 'password = "hunter2-but-longer-9"',
    'db_pass: s3cr3t-v4lue', 'api_key := "abcdef123456"', '"x9Yz81qq" == my_password',
    'token = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"',
    'hook = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"',
    'stripe = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"', 'gh = "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"',
    'jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"',
    "-----BEGIN RSA PRIVATE KEY-----", 'sendgrid = "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"',
    'twilio = "SK' + "a" * 32 + '"', 'openai = "sk-' + "A1b2" * 12 + '"', "IP = '8.8.8.8'",
    'npm = "//registry.npmjs.org/:_authToken=' + "a1b2c3d4" * 4 + 'abcd"',
    'pypi = "pypi-AgEIcHlwaS5vcmcCJGE4YjMyNTZhLTQ1MTYtNDYwZC05ZDFlLWQ0MjU5ZjQ1NTJhMAACJXsicGVybWlzc2lvbnMiOiAidXNlciIsICJ2ZXJzaW9uIjogMX0AAAYgbqJ8XYZ"',
    'cl_key = "abcdefghijklmnopqrstuvwx"', 'hex = "4d2c8e9f0a1b3c5d7e9f0a1b2c3d4e5f"',
    'b64 = "c2VjcmV0LXN0dWZmLWhlcmUtdGhhdC1pcy1sb25n"', "except KeyError as exc:", "key_column = 'id'",
    "monkey = 'banana'", "keys = list(d.keys())", 'art = "AKCp8jQ8xLHhZ8nqD3vZr1sWmY2"',
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_PLUGIN_LINES + _PIECES), min_size=1, max_size=12),
       st.sampled_from(["x.py", "config.yaml", "main.go", "app.js", "notes.txt"]))
def test_plugin_gates_change_no_finding(lines, filename):
    """Plugins meet only the lines their own patterns can match: every finding of every
    plugin run on every line is still found."""
    from auditkit.readers.security import secrets

    text = "\n".join(lines) + "\n"
    with secrets.GenericSecretScanner() as scanner:
        gated = scanner.scan_text(filename, text)
        scanner._probes = [None] * len(scanner.plugins)    # every plugin on every line
        plain = scanner.scan_text(filename, text)
    assert gated == plain


def test_plugin_gates_let_every_kind_through():
    from auditkit.readers.security import secrets

    text = "\n".join(_PLUGIN_LINES) + "\n"
    with secrets.GenericSecretScanner() as scanner:
        kinds = {row["kind"] for row in scanner.scan_text("x.py", text)}
        skipped = sum(1 for probes in scanner._probes if probes is not None)
    assert {"aws_access_key", "basic_auth_credentials", "secret_keyword", "slack_token", "twilio_api_key",
            "github_token", "json_web_token", "private_key", "high_entropy_string"} <= kinds
    assert skipped >= 20   # the regex plugins and the keyword plugin are gated
