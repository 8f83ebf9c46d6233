"""Files that should never be committed to a Mage repo, recognised by name or first bytes.

Kinds: ``env_file`` (``.env``, ``.env.prod``; examples and templates are allowed),
``private_key`` (PEM private keys, ``id_rsa``-style files, PKCS#12 bundles),
``service_account_key`` (Google service-account JSON), ``secrets_key`` (Mage's Fernet key
``secrets/key``, which decrypts every value of the ``secret`` table), ``mage_db``
(``mage-ai.db``), and whole folders: ``mage_data_dir``, ``ssh_tunnel_dir``,
``file_versions_dir``. Folders are reported once, at their top, not once per file.

One problem, one row to report: files of a kind listed above that sit inside an exposed folder
(the ``mage-ai.db`` and ``secrets/key`` of a committed ``mage_data/``) keep a row (with
``folder`` set, so MAGE-SEC-029 still finds the key) but are named in the folder's row
(``contains``) instead of being reported on their own. The folder's row says what its databases
hold (``db_contents``, counts only; :mod:`auditkit.readers.security.committed_db`). A
``.ssh_tunnel/`` folder whose files are all empty or ``{}`` (what the server writes on start) is
not exposed.
"""
from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

import pandas as pd

from auditkit.readers.security import committed_db

EXPOSED_COLUMNS = ["path", "kind", "reason", "project", "folder", "contains", "db_contents"]
_EMPTY_STATE = re.compile(r"^\s*(\{\s*\}|\[\s*\])?\s*$")
_MAX_STATE_BYTES = 64 * 1024

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
                    project_of, root: str | Path | None = None) -> pd.DataFrame:
    """Frame of exposed files and folders; ``project_of(path)`` names the owning project.
    ``root`` (the repo) lets folders be looked into: committed databases, empty tunnel state."""
    folders = dict(folder_hits)
    if root is not None:
        folders = {f: k for f, k in folders.items() if not (k == "ssh_tunnel_dir" and _empty_state(Path(root), f))}
    rows = []
    for path, kind in file_hits:
        inside = next((f for f in folders if path.startswith(f + "/")), None)
        contents = {path: committed_db.db_contents(Path(root, path))} if kind == "mage_db" and root is not None \
            and inside is None else None
        rows.append({"path": path, "kind": kind, "reason": REASONS[kind], "project": project_of(path),
                     "folder": inside, "contains": [], "db_contents": contents})
    for folder, kind in sorted(folders.items()):
        reason = next(r for k, r in _FOLDERS.values() if k == kind)
        members = sorted(r["path"] for r in rows if r["folder"] == folder)
        contents = {m: committed_db.db_contents(Path(root, m)) if root is not None else None
                    for m in members if PurePosixPath(m).name.lower() == "mage-ai.db"}
        rows.append({"path": folder, "kind": kind, "reason": reason, "project": project_of(folder),
                     "folder": None, "contains": [f"{PurePosixPath(m).relative_to(folder)}" for m in members],
                     "db_contents": contents or None})
    frame = pd.DataFrame(rows, columns=EXPOSED_COLUMNS)
    return frame.drop_duplicates(["path", "kind"]).sort_values(["kind", "path"]).reset_index(drop=True)


def _empty_state(root: Path, folder: str) -> bool:
    """Every file under ``root/folder`` is empty or an empty JSON object/list (symlinks: not empty)."""
    base = root / folder
    try:
        files = [Path(top, name) for top, _dirs, names in os.walk(base) for name in names]   # links not followed
        for path in files:
            if path.is_symlink() or path.stat().st_size > _MAX_STATE_BYTES:
                return False
            if not _EMPTY_STATE.match(path.read_text(encoding="utf-8", errors="replace")):
                return False
        return True
    except OSError:
        return False
