"""Files that should never be committed to a Mage repo, recognised by name or first bytes.

Kinds: ``env_file`` (``.env``, ``.env.prod``; examples and templates are allowed),
``private_key`` (PEM private keys, ``id_rsa``-style files, PKCS#12 bundles),
``service_account_key`` (Google service-account JSON), ``secrets_key`` (Mage's Fernet key
``secrets/key``, which decrypts every value of the ``secret`` table), ``mage_db``
(``mage-ai.db``), and whole folders: ``mage_data_dir``, ``ssh_tunnel_dir``,
``file_versions_dir``. Folders are reported once, at their top, not once per file.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath

import pandas as pd

EXPOSED_COLUMNS = ["path", "kind", "reason", "project"]

_ENV_EXAMPLE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".defaults", ".tmpl")
_KEY_FILE_NAMES = {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"}
# At a line start: a key quoted inside YAML/JSON (the io_config template's sample) is not a key file.
_PEM_PRIVATE_RE = re.compile(r"^\s*-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----", re.M)
_SECRETS_KEY_RE = re.compile(r"(?:^|/)secrets/(?:projects/[^/]+/(?:pipelines/[^/]+/)?)?key$")
_SERVICE_ACCOUNT_RE = re.compile(r'"type"\s*:\s*"service_account"')

_FOLDERS = {
    "mage_data": ("mage_data_dir", "Mage data folder (run-history DB, block outputs, logs, maybe secrets/key) is committed"),
    ".mage_data": ("mage_data_dir", "Mage data folder (run-history DB, block outputs, logs, maybe secrets/key) is committed"),
    ".ssh_tunnel": ("ssh_tunnel_dir", "SSH tunnel state written by the Mage server is committed"),
    ".file_versions": ("file_versions_dir", "Mage's saved file versions are committed (old copies may hold removed secrets)"),
}

REASONS = {
    "env_file": "environment file with settings and often credentials is committed",
    "private_key": "private key file is committed",
    "service_account_key": "cloud service-account key file is committed",
    "secrets_key": "Mage secrets encryption key is committed; with the DB it decrypts every stored secret",
    "mage_db": "Mage run-history database is committed (users, tokens, encrypted secrets)",
}


def is_env_file(name: str) -> bool:
    """``.env``, ``.env.prod``, ``prod.env``; not ``.env.example`` and friends."""
    lower = name.lower()
    if lower.endswith(_ENV_EXAMPLE_SUFFIXES):
        return False
    return lower == ".env" or lower.startswith(".env.") or lower.endswith(".env")


def folder_exposure(rel: str) -> tuple[str, str] | None:
    """(folder path, kind) when ``rel`` lies inside an exposed folder, else None."""
    parts = PurePosixPath(rel).parts
    for index, part in enumerate(parts[:-1]):
        if part in _FOLDERS:
            return "/".join(parts[: index + 1]), _FOLDERS[part][0]
    return None


def file_exposure(rel: str, head: str | None) -> str | None:
    """Exposure kind of one file from its path and (when readable) the start of its text."""
    name = PurePosixPath(rel).name
    lower = name.lower()
    if _SECRETS_KEY_RE.search(rel):
        return "secrets_key"
    if lower == "mage-ai.db":
        return "mage_db"
    if is_env_file(name):
        return "env_file"
    if lower.endswith(".json") and head is not None and _SERVICE_ACCOUNT_RE.search(head) and '"private_key"' in head:
        return "service_account_key"
    if head is not None and "-----BEGIN" in head and _PEM_PRIVATE_RE.search(head):
        return "private_key"
    if lower in _KEY_FILE_NAMES or (PurePosixPath(lower).suffix in {".p12", ".pfx", ".jks", ".keystore"}):
        return "private_key"
    return None


def exposures_frame(file_hits: list[tuple[str, str]], folder_hits: dict[str, str],
                    project_of) -> pd.DataFrame:
    """Frame of exposed files and folders; ``project_of(path)`` names the owning project."""
    rows = [{"path": path, "kind": kind, "reason": REASONS[kind], "project": project_of(path)}
            for path, kind in file_hits]
    for folder, kind in sorted(folder_hits.items()):
        reason = next(r for k, r in _FOLDERS.values() if k == kind)
        rows.append({"path": folder, "kind": kind, "reason": reason, "project": project_of(folder)})
    frame = pd.DataFrame(rows, columns=EXPOSED_COLUMNS)
    return frame.drop_duplicates(["path", "kind"]).sort_values(["kind", "path"]).reset_index(drop=True)
