"""Deployment files judged as what they are: local development set-ups get advice, server
deployments get the server rules. One fixture per false-alarm class (written for these tests),
each next to a case that must still fire."""
from __future__ import annotations

import pytest

from auditkit.readers.security.cmdline import command_credentials
from auditkit.readers.security.deployment import cmp_ports
from auditkit.readers.security.interpolate import interpolate
from auditkit.engine.base import REGISTRY, RuleContext
from test_security_secrets import make_repo, scan

import auditkit.rules  # noqa: F401  (registers the catalogue)


def run(result, rule_id):
    return list(REGISTRY[rule_id](RuleContext(security=result)).check())


def severities(result, rule_id):
    return [f.severity for f in run(result, rule_id)]


def service(image="mageai/mageai:latest", extra="", ports='      - "6789:6789"\n', name="magic"):
    return (f"  {name}:\n    image: {image}\n    command: mage start proj\n{extra}"
            f"    ports:\n{ports}    volumes:\n      - .:/home/src\n")


def compose(*services: str) -> str:
    return "services:\n" + "".join(services)


QUICKSTART = compose(service())                                               # the Mage quickstart
SERVER = compose(service(extra="    restart: always\n    environment:\n      REQUIRE_USER_AUTHENTICATION: 1\n"))


def test_quickstart_compose_is_local_development_and_gets_no_server_findings(tmp_path):
    result = scan(make_repo(tmp_path, {"docker-compose.yml": QUICKSTART}))
    row = result.deployments.iloc[0]
    assert not row["production"] and row["production_evidence"] is None
    assert run(result, "MAGE-SEC-020") == [] and run(result, "MAGE-SEC-023") == []
    assert severities(result, "MAGE-SEC-024") == ["low"]


@pytest.mark.parametrize("extra, name, evidence", [
    ("    restart: always\n", "docker-compose.yml", "restart: always"),
    ("    environment:\n      ENV: production\n", "docker-compose.yml", "ENV=production"),
    ("", "docker-compose.prod.yml", "name"),
    ("    labels:\n      - traefik.enable=true\n", "docker-compose.yml", "reverse-proxy"),
])
def test_server_evidence_turns_on_the_server_rules(tmp_path, extra, name, evidence):
    result = scan(make_repo(tmp_path, {name: compose(service(extra=extra))}))
    assert evidence in result.deployments.iloc[0]["production_evidence"]
    assert len(run(result, "MAGE-SEC-020")) == 1 and len(run(result, "MAGE-SEC-023")) == 1


def test_a_dev_named_file_stays_development_whatever_it_holds(tmp_path):
    result = scan(make_repo(tmp_path, {"docker-compose.dev.yml": compose(service(extra="    restart: always\n"))}))
    assert not result.deployments.iloc[0]["production"]


def test_jwt_rule_never_fires_on_a_dockerfile_alone(tmp_path):
    result = scan(make_repo(tmp_path, {"Dockerfile": "FROM mageai/mageai:latest\nENV ENV=prod\n"}))
    assert result.deployments.iloc[0]["production"]          # even with production evidence
    assert run(result, "MAGE-SEC-020") == []
    assert [f.path for f in run(result, "MAGE-SEC-024")] == ["Dockerfile"]


def test_variable_with_default_pins_the_image_and_old_defaults_report_auth_off(tmp_path):
    text = compose(service(image="mageai/mageai:${MAGE_VERSION:-0.9.75}"))
    result = scan(make_repo(tmp_path, {"docker-compose.yml": text}))
    row = result.deployments.iloc[0]
    assert (row["mage_version"], row["image_pinned"], row["auth_enabled"]) == ("0.9.75", True, False)
    assert run(result, "MAGE-SEC-024") == []
    assert severities(result, "MAGE-SEC-018") == ["medium"]      # dev set-up, port on all interfaces
    assert run(result, "MAGE-SEC-020") == []                     # JWT is moot without authentication
    server = scan(make_repo(tmp_path / "s", {"docker-compose.yml": compose(service(
        image="mageai/mageai:${MAGE_VERSION:-0.9.75}", extra="    restart: always\n"))}))
    assert severities(server, "MAGE-SEC-018") == ["critical"]


def test_dotenv_value_wins_over_the_default(tmp_path):
    text = compose(service(image="mageai/mageai:${MAGE_VERSION:-0.9.75}"))
    result = scan(make_repo(tmp_path, {"docker-compose.yml": text, ".env": "MAGE_VERSION=latest\n"}))
    assert result.deployments.iloc[0]["image_pinned"] == False  # noqa: E712


@pytest.mark.parametrize("tag, pinned", [
    ("mageai/mageai", False), ("mageai/mageai:latest", False), ("mageai/mageai:nightly", False),
    ("mageai/mageai:alpha", False), ("mageai/mageai:dev", False), ("mageai/mageai:0.9", False),
    ("mageai/mageai:0.9.79", True), ("mageai/mageai:0.9.79-py3.11", True),
    ("mageai/mageai@sha256:" + "a" * 64, True), ("mageai/mageai:team-build", None),
])
def test_moving_tags_are_unpinned(tmp_path, tag, pinned):
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose(service(image=tag))}))
    assert result.deployments.iloc[0]["image_pinned"] == pinned if pinned is not None else \
        result.deployments.iloc[0]["image_pinned"] is None
    assert len(run(result, "MAGE-SEC-024")) == (1 if pinned is False else 0)


def test_build_and_image_name_the_locally_built_image(tmp_path):
    text = compose(service(image="mageai/mageai:latest", extra="    build:\n      context: .\n"))
    pinned = scan(make_repo(tmp_path, {"docker-compose.yml": text, "Dockerfile": "FROM mageai/mageai:0.9.79\n"}))
    assert list(pinned.deployments["path"]) == ["docker-compose.yml"]     # the Dockerfile is not a second one
    assert pinned.deployments.iloc[0]["mage_version"] == "0.9.79"
    assert run(pinned, "MAGE-SEC-024") == []
    latest = scan(make_repo(tmp_path / "b", {"docker-compose.yml": text, "Dockerfile": "FROM mageai/mageai:latest\n"}))
    assert [f.path for f in run(latest, "MAGE-SEC-024")] == ["Dockerfile"]


def test_owner_password_variable_with_fallback_is_not_a_literal(tmp_path):
    env = "    environment:\n      DEFAULT_OWNER_PASSWORD: ${OWNER_PASSWORD:-admin}\n"
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose(service(extra=env))}))
    assert result.deployments.iloc[0]["owner_password"] == "reference"
    assert run(result, "MAGE-SEC-019") == []
    literal = "    environment:\n      DEFAULT_OWNER_PASSWORD: Winter-2024-owner\n"
    dev = scan(make_repo(tmp_path / "d", {"docker-compose.yml": compose(service(extra=literal))}))
    prod = scan(make_repo(tmp_path / "p", {"docker-compose.yml": compose(service(extra=literal + "    restart: always\n"))}))
    assert severities(dev, "MAGE-SEC-019") == ["low"] and severities(prod, "MAGE-SEC-019") == ["high"]


def test_services_of_one_file_with_one_problem_are_one_finding(tmp_path):
    env = "    environment:\n      INSTANCE_TYPE: {kind}\n"
    text = compose(service("mageai/mageai:0.9.70", env.format(kind="web_server"), name="web"),
                   service("mageai/mageai:0.9.70", env.format(kind="scheduler"), ports="      - '7000:7000'\n",
                           name="scheduler"),
                   "  init:\n    image: mageai/mageai:0.9.70\n    entrypoint: /bin/bash\n    command: -c 'mage init p'\n")
    result = scan(make_repo(tmp_path, {"docker-compose.yml": text}))
    assert sorted(result.deployments["service"]) == ["scheduler", "web"]       # init starts no server
    assert len(run(result, "MAGE-SEC-018")) == 1                               # the web server only
    two_web = compose(service("mageai/mageai:latest", name="a"), service("mageai/mageai:latest", name="b"))
    found = run(scan(make_repo(tmp_path / "two", {"docker-compose.yml": two_web})), "MAGE-SEC-024")
    assert len(found) == 1 and "services a, b" in found[0].message


CLOUD_RUN = '''resource "google_cloud_run_service" "run_service" {
  template {
    spec {
      containers {
        image = var.docker_image
        env {
          name  = "GCP_REGION"
          value = var.region
        }
      }
    }
  }
}
resource "google_cloud_run_service_iam_member" "public" {
  service = google_cloud_run_service.run_service.name
  role    = "roles/run.invoker"
  member  = "allUsers"
}
'''
VARIABLES = 'variable "docker_image" {\n  type = string\n  default = "mageai/mageai:latest"\n}\n'


def test_public_cloud_run_without_explicit_authentication_is_reported_at_its_main_file(tmp_path):
    result = scan(make_repo(tmp_path, {"terraform/mage/main.tf": CLOUD_RUN, "terraform/mage/variables.tf": VARIABLES}))
    row = result.deployments.iloc[0]
    assert row["path"] == "terraform/mage/main.tf" and row["image_file"] == "terraform/mage/variables.tf"
    assert "allUsers" in row["public"] and row["production"]
    auth = run(result, "MAGE-SEC-018")
    assert [(f.severity, f.path) for f in auth] == [("high", "terraform/mage/main.tf")]
    assert [f.path for f in run(result, "MAGE-SEC-020")] == ["terraform/mage/main.tf"]
    assert [f.path for f in run(result, "MAGE-SEC-024")] == ["terraform/mage/variables.tf"]
    explicit = CLOUD_RUN.replace('name  = "GCP_REGION"\n          value = var.region',
                                 'name  = "REQUIRE_USER_AUTHENTICATION"\n          value = "1"')
    fine = scan(make_repo(tmp_path / "e", {"tf/main.tf": explicit, "tf/variables.tf": VARIABLES}))
    assert run(fine, "MAGE-SEC-018") == []


def test_credentials_on_command_lines(tmp_path):
    helper = ("  init:\n    image: minio/mc:RELEASE.2024-01-01\n    entrypoint:\n      - /bin/sh\n      - -c\n"
              "      - |\n        mc alias set store http://minio:9000 ${ACCESS_KEY} ${SECRET_KEY}\n"
              "        mc mb store/raw\n")
    literal = "  db:\n    image: postgres:16\n    command: psql postgresql://etl:Hunter-22@db/warehouse\n"
    result = scan(make_repo(tmp_path, {"docker-compose.yml": compose(service(), helper, literal),
                                       "Dockerfile": "FROM mageai/mageai:0.9.79\nRUN tool login --password Pa55-word\n"}))
    found = {(f.path, f.line, f.severity) for f in run(result, "MAGE-SEC-040")}
    assert found == {("docker-compose.yml", 15, "low"), ("docker-compose.yml", 19, "medium"), ("Dockerfile", 2, "medium")}
    text = result.server_settings.to_csv() + result.deployments.to_csv()
    assert "Hunter-22" not in text and "Pa55-word" not in text
    other = scan(make_repo(tmp_path / "o", {"docker-compose.yml": compose(helper)}))     # no Mage in the file
    assert run(other, "MAGE-SEC-040") == []


@pytest.mark.parametrize("command, expected", [
    ("mc alias set s http://h:9000 user Secret-1", [("literal", "minio client secret key")]),
    ("mc config host add s http://h:9000 user $SECRET", [("reference", "minio client secret key")]),
    ("superset fab create-admin --username a --password ${PW:-admin}", [("reference", "password option")]),
    ("app --api-key=abc123", [("literal", "api-key option")]),
    ("mysql -u root -pSecret db", [("literal", "mysql password option")]),
    ("aws configure set aws_secret_access_key Abc", [("literal", "aws configure secret")]),
    ("echo $PW | docker login --password-stdin", []),
    ("mage start proj", []),
    ("pip install --index-url https://u:tok3n@pypi.example/simple x", [("literal", "password in a URL")]),
])
def test_command_credential_patterns(command, expected):
    assert command_credentials(command) == expected


@pytest.mark.parametrize("text, env, result, unresolved", [
    ("${A:-x}", {}, "x", []), ("${A:-x}", {"A": ""}, "x", []), ("${A-x}", {"A": ""}, "", []),
    ("${A:-${B:-127.0.0.1}}:80", {}, "127.0.0.1:80", []), ("$$A ${A}", {"A": "1"}, "$A 1", []),
    ("$A/${B}", {"A": "a"}, "a/", ["B"]), ("${A:+on}", {"A": "1"}, "on", []), ("${A:?need}", {}, "", ["A"]),
])
def test_interpolation_follows_compose(text, env, result, unresolved):
    done = interpolate(text, env)
    assert (done.text, done.unresolved) == (result, unresolved)


def test_ports_bound_by_variables_with_local_defaults_are_not_all_interfaces():
    ports = cmp_ports({"ports": ["${APP_IP:-${BIND_IP:-127.0.0.1}}:${PORT:-26789}:6789", "${IP}:6789:6789",
                                 "6789:6789"]}, {})
    assert [all_if for _, all_if in ports] == [False, False, True]


def test_a_dockerfile_built_by_compose_still_has_its_command_lines_checked(tmp_path):
    text = compose(service(extra="    build: .\n"))
    result = scan(make_repo(tmp_path, {"docker-compose.yml": text,
                                       "Dockerfile": "FROM mageai/mageai:0.9.79\nRUN pip install --index-url "
                                                     "https://bot:Tok3n-value@pkgs.example/simple extra\n"}))
    assert list(result.deployments["path"]) == ["docker-compose.yml"]
    assert [(f.path, f.line) for f in run(result, "MAGE-SEC-040")] == [("Dockerfile", 2)]
