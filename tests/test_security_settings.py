"""Server settings from deployment files, and the deployment rules that read them."""
from __future__ import annotations

import pytest

from auditkit.readers.security.deployment import image_version
from auditkit.engine.base import REGISTRY, RuleContext
from test_security_secrets import make_repo, scan

import auditkit.rules  # noqa: F401  (registers the catalogue)


def compose(image="mageai/mageai:0.9.76", env="", ports='    ports:\n      - "127.0.0.1:6789:6789"\n'):
    return (f"services:\n  magic:\n    image: {image}\n    command: mage start proj\n"
            f"    environment:\n      JWT_SECRET: ${{JWT_SECRET}}\n{env}{ports}")


def rule_ids(result) -> set[str]:
    ctx = RuleContext(security=result)
    found = set()
    for rule_id, cls in REGISTRY.items():
        if rule_id.startswith("MAGE-SEC") and "history" not in cls.needs:
            found |= {f.rule_id for f in cls(ctx).check()}
    return found


def findings(result, rule_id):
    return list(REGISTRY[rule_id](RuleContext(security=result)).check())


@pytest.mark.parametrize("image, version, pinned", [
    ("mageai/mageai:0.9.76", "0.9.76", True), ("mageai/mageai:latest", "latest", False),
    ("mageai/mageai", "latest", False), ("docker.io/mageai/mageai:0.9.79-py3.11", "0.9.79", True),
    ("postgres:16", None, False),
])
def test_image_version_parsing(image, version, pinned):
    assert image_version(image) == (version, pinned)


@pytest.mark.parametrize("image, env, auth", [
    ("mageai/mageai:0.9.76", "", False),                                   # default off before 0.9.78
    ("mageai/mageai:0.9.78", "", True),                                    # default on from 0.9.78
    ("mageai/mageai:0.9.76", "      REQUIRE_USER_AUTHENTICATION: 1\n", True),
    ("mageai/mageai:0.9.79", "      REQUIRE_USER_AUTHENTICATION: 'false'\n", False),
    ("mageai/mageai:0.9.76", "      REQUIRE_USER_AUTHENTICATION: ${AUTH}\n", None),   # unresolvable reference
])
def test_authentication_follows_setting_or_version_default(tmp_path, image, env, auth):
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose(image, env)}))
    assert result.deployments["auth_enabled"].tolist() == [auth]
    assert ("MAGE-SEC-018" in rule_ids(result)) == (auth is False)


def test_auth_off_on_all_interfaces_is_critical(tmp_path):
    server = '    restart: always\n    ports:\n      - "6789:6789"\n'      # a server deployment
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose(ports=server)}))
    assert [f.severity for f in findings(result, "MAGE-SEC-018")] == ["critical"]
    assert findings(result, "MAGE-SEC-023")


def test_compose_reference_is_resolved_from_the_dotenv_next_to_it(tmp_path):
    env = "      REQUIRE_USER_AUTHENTICATION: ${AUTH}\n"
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose("mageai/mageai:0.9.76", env), ".env": "AUTH=1\n"}))
    assert result.deployments["auth_enabled"].tolist() == [True]


def test_env_file_referenced_by_compose_supplies_settings(tmp_path):
    svc = compose(ports="") + "    env_file:\n      - deploy.env\n"
    result = scan(make_repo(tmp_path, {"docker-compose.yml": svc, "deploy.env": "DEFAULT_OWNER_PASSWORD=S3cure-0wner!\n"}))
    assert result.deployments["owner_password"].tolist() == ["literal"]
    assert findings(result, "MAGE-SEC-019")
    row = result.server_settings.query("setting == 'DEFAULT_OWNER_PASSWORD'")
    assert set(row["value_summary"]) == {"literal (redacted)"}   # the compose service and the .env itself
    assert "S3cure-0wner!" not in result.server_settings.to_csv() + result.deployments.to_csv()


def test_settings_that_are_fine_give_no_deployment_findings(tmp_path):
    env = ("      REQUIRE_USER_AUTHENTICATION: 1\n      ENV: prod\n      DISABLE_NOTEBOOK_EDIT_ACCESS: 1\n"
           "      DEFAULT_OWNER_PASSWORD: ${OWNER_PW}\n")
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose("mageai/mageai:0.9.79", env)}))
    assert not {f"MAGE-SEC-0{n}" for n in range(18, 25)} & rule_ids(result)


@pytest.mark.parametrize("env, rule_id", [
    ("      ENV: prod\n", "MAGE-SEC-021"),
    ("      ENV: production\n      DISABLE_NOTEBOOK_EDIT_ACCESS: 0\n", "MAGE-SEC-021"),
    ("      MAGE_ACCESS_TOKEN_EXPIRY_TIME: 31536000\n", "MAGE-SEC-022"),
])
def test_production_and_token_lifetime_rules_fire(tmp_path, env, rule_id):
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose("mageai/mageai:0.9.79", env)}))
    assert rule_id in rule_ids(result)


def test_jwt_secret_unset_and_unpinned_image_fire(tmp_path):
    svc = ("services:\n  magic:\n    image: mageai/mageai:latest\n    restart: unless-stopped\n"
           "    environment:\n      REQUIRE_USER_AUTHENTICATION: 1\n")
    result = scan(make_repo(tmp_path, {"docker-compose.yml": svc}))
    assert {"MAGE-SEC-020", "MAGE-SEC-024"} <= rule_ids(result)


def test_non_mage_services_are_ignored(tmp_path):
    svc = "services:\n  db:\n    image: postgres:16\n    ports:\n      - '5432:5432'\n"
    result = scan(make_repo(tmp_path, {"docker-compose.yml": svc}))
    assert result.deployments.empty


def test_dockerfile_kubernetes_and_terraform_are_read(tmp_path):
    k8s = ("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
           "      - name: mage\n        image: mageai/mageai:0.9.70\n        env:\n"
           "        - name: REQUIRE_USER_AUTHENTICATION\n          value: \"0\"\n"
           "        - name: JWT_SECRET\n          valueFrom:\n            secretKeyRef: {name: mage, key: jwt}\n")
    tf = ('resource "aws_ecs_task_definition" "mage" {\n  container_definitions = jsonencode([{\n'
          '    image = "mageai/mageai:0.9.79"\n    environment = [\n'
          '      { name = "REQUIRE_USER_AUTHENTICATION", value = "1" },\n'
          '      { name = "JWT_SECRET", value = "tf-literal-jwt-secret" }\n    ]\n  }])\n}\n')
    docker = "FROM mageai/mageai:0.9.77\nENV REQUIRE_USER_AUTHENTICATION=1 JWT_SECRET=${JWT}\n"
    result = scan(make_repo(tmp_path, {"k8s/mage.yaml": k8s, "infra/main.tf": tf, "Dockerfile": docker}))
    by_file = result.deployments.set_index("path")
    assert by_file.loc["k8s/mage.yaml", "auth_enabled"] == False  # noqa: E712
    assert by_file.loc["k8s/mage.yaml", "jwt_secret"] == "reference"
    assert by_file.loc["infra/main.tf", "auth_enabled"] == True  # noqa: E712
    assert by_file.loc["infra/main.tf", "jwt_secret"] == "literal"
    assert by_file.loc["Dockerfile", "mage_version"] == "0.9.77"
    assert by_file.loc["Dockerfile", "auth_enabled"] == True  # noqa: E712
    assert "tf-literal-jwt-secret" not in result.server_settings.to_csv()
