"""Columns of the security frames (``audit.security``): locations, kinds and fingerprints only,
never a secret value."""
from __future__ import annotations

from auditkit.columns.frames import frame

_S = "security"
_VERSION = {"mage_version": ("string", "Mage version of the image (None when not pinned or unknown)")}

SECURITY_FRAMES = (
    frame("audit.security.secrets", _S, "secret value and place it is committed",
          "path line kind detector fingerprint project source types", {
              "kind": ("string", "what the secret is (password, api_key, private_key, ...)"),
              "detector": ("string", "source:plugin that found it"),
              "source": ("string", "detect-secrets, pattern, io_config, triggers, metadata, env_file or dev_default"),
              "types": ("list", "the detect-secrets secret types found there")}),
    frame("audit.security.code_risks", _S, "run of consecutive risky lines of one function",
          "path line kind test_id detail project end_line", {
              "kind": ("string", "the risk (sql_injection, shell_injection, unsafe_deserialization, ...)"),
              "test_id": ("string", "bandit test id"), "detail": ("string", "what was seen (never a value)"),
              "end_line": ("Int64", "last line of the run")}),
    frame("audit.security.server_settings", _S, "Mage server setting found in a deployment file",
          "path setting value_summary mage_version risk service line project", {
              **_VERSION,
              "path": ("string", "the compose, Kubernetes, Helm, Terraform, Dockerfile or .env file"),
              "setting": ("string", "the setting (REQUIRE_USER_AUTHENTICATION, image, ports, ...)"),
              "value_summary": ("string", "what the value is, never the value of a secret"),
              "risk": ("string", "how risky the value is there (high, medium, low, ok)"),
              "service": ("string", "the compose service or workload"),
              "line": ("Int64", "line in `path`")}),
    frame("audit.security.deployments", _S, "Mage server deployment", (
        "path service kind project image mage_version image_pinned auth_enabled auth_source ports_all_interfaces "
        "published_ports jwt_secret owner_password notebook_edit env production token_expiry_s authentication_mode "
        "production_evidence role image_file image_line line public image_from_default cpu_limit memory_limit_mib"), {
        **_VERSION,
        "path": ("string", "the deployment file"),
        "service": ("string", "the compose service or workload"),
        "kind": ("string", "compose, kubernetes, helm, dockerfile, terraform or env"),
        "image": ("string", "the image as written"),
        "image_pinned": ("bool", "the image tag pins a version (None: unknown tag)"),
        "auth_enabled": ("bool", "user authentication is on"),
        "auth_source": ("string", "where auth_enabled comes from"),
        "ports_all_interfaces": ("bool", "a port is published on every interface"),
        "published_ports": ("list", "published ports, summarised"),
        "jwt_secret": ("string", "how the JWT secret is set (kind only)"),
        "owner_password": ("string", "how the default owner's password is set (kind only)"),
        "notebook_edit": ("string", "whether notebooks are editable on the server"),
        "env": ("string", "ENV / MAGE_ENV of the server"),
        "production": ("bool", "a server deployment by evidence (not a local set-up)"),
        "token_expiry_s": ("Int64", "API token lifetime, seconds"),
        "authentication_mode": ("string", "local, ldap, oauth, ..."),
        "production_evidence": ("string", "why it counts as production"),
        "role": ("string", "web_server, scheduler or server"),
        "image_file": ("string", "the file the image is written in"),
        "image_line": ("Int64", "its line"), "line": ("Int64", "line of the service in `path`"),
        "public": ("string", "how it is reachable from outside, else None"),
        "image_from_default": ("bool", "the image comes from a variable's default"),
        "cpu_limit": ("float", "CPU cores the container may use (compose or Kubernetes limits), else None"),
        "memory_limit_mib": ("float", "memory the container may use, MiB, else None")}),
    frame("audit.security.accounts", _S, "user account in the history database", (
        "user_key email_domain is_owner is_admin roles legacy_roles uses_default_password has_token "
        "is_default_owner"), {
        "user_key": ("string", "short fingerprint of the user"), "email_domain": ("string", "domain of the e-mail"),
        "is_owner": ("bool", "an owner"), "is_admin": ("bool", "an admin"), "roles": ("list", "role names"),
        "legacy_roles": ("Int64", "the legacy role bit mask"),
        "uses_default_password": ("bool", "the password is Mage's default"),
        "is_default_owner": ("bool", "Mage's default owner account")}),
    frame("audit.security.api_triggers", _S, "API trigger in the history database",
          "trigger_id pipeline name status active has_token token_fingerprint", {
              "name": ("string", "trigger name"), "active": ("bool", "the trigger is active")}),
    frame("audit.security.stored_secrets", _S, "history database (counts only)", "n_secrets n_legacy n_scopes", {
        "n_secrets": ("int", "secrets stored in Mage"), "n_legacy": ("int", "of those, in the legacy format"),
        "n_scopes": ("int", "scopes they are stored under")}),
    frame("audit.security.exposed_files", _S, "committed file that should not be",
          "path kind reason project folder contains db_contents", {
              "kind": ("string", "mage_db, secrets_key, env_file, private_key, ..."),
              "folder": ("string", "the exposed folder the file sits in, else None"),
              "contains": ("list", "notable files inside a folder"),
              "db_contents": ("dict", "row counts of a committed mage-ai.db")}),
)
