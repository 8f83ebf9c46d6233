"""Security posture gathering: secrets, risky code, server settings, accounts, exposed files.

:func:`scan_security` walks the repo once (through :mod:`auditkit.readers.paths`, so symlinks,
outside paths, big and binary files are handled as everywhere else), hands each text file to
the detectors that care about it, reads deployment files and, when a run history is open,
its accounts. The result holds locations, kinds and short fingerprints, never a secret value.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

import pandas as pd

from auditkit.model import InputProblem, ProblemLog
from auditkit.readers.paths import SKIP_DIRS, decode_text, iter_repo_files, read_limited
from auditkit.readers.security import accounts as acc
from auditkit.readers.security import code_risks as cr
from auditkit.readers.security import deployment as dep
from auditkit.readers.security import exposure as exp
from auditkit.readers.security import filescan as fs
from auditkit.readers.security import generic_pool as gp
from auditkit.readers.security import history as hs
from auditkit.readers.security import mage_secrets as ms
from auditkit.readers.security import secrets as sec

# Folders the repo reader skips but whose mere presence is a finding here; their files are
# listed, never scanned (block outputs and logs can be large).
_LISTED_ONLY_DIRS = frozenset({"mage_data", ".mage_data", ".file_versions"})
MAX_SCAN_BYTES = fs.MAX_SCAN_BYTES
_YAML_SUFFIXES = (".yaml", ".yml")
_MAGE_OWN_YAML = frozenset({"metadata.yaml", "io_config.yaml", "triggers.yaml", "settings.yaml",
                            "profiles.yml", "dbt_project.yml", "global_data_products.yaml"})


@dataclass
class SecurityScan:
    """Everything the security rules and the security report read."""

    problems: list[InputProblem] = field(default_factory=list)
    secrets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=sec.SECRET_COLUMNS))
    code_risks: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=cr.CODE_RISK_COLUMNS))
    server_settings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=dep.SERVER_SETTING_COLUMNS))
    deployments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=dep.DEPLOYMENT_COLUMNS))
    accounts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=acc.ACCOUNT_COLUMNS))
    api_triggers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=acc.API_TRIGGER_COLUMNS))
    stored_secrets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=acc.STORED_SECRET_COLUMNS))
    exposed_files: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=exp.EXPOSED_COLUMNS))
    committed_trigger_tokens: set[str] = field(default_factory=set)   # token fingerprints
    history: hs.HistoryScan = field(default_factory=hs.HistoryScan)    # secrets only in git history
    history_read: bool = False
    timings_s: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Counts for a scorecard (no values, no fingerprints)."""
        return {
            "secrets": int(len(self.secrets)),
            "history_secrets": int(len(self.history.secrets)),
            "secrets_by_kind": {k: int(v) for k, v in self.secrets["kind"].value_counts().sort_index().items()},
            "code_risks": int(len(self.code_risks)),
            "exposed_files": int(len(self.exposed_files)),
            "deployments": int(len(self.deployments)),
            "auth_off_deployments": int((self.deployments["auth_enabled"] == False).sum()),  # noqa: E712
            "users": int(len(self.accounts)),
            "default_password_users": int((self.accounts["uses_default_password"] == True).sum()),  # noqa: E712
            "active_api_triggers": int(self.api_triggers["active"].astype(bool).sum()),
            "stored_secrets": int(self.stored_secrets["n_secrets"].sum()) if len(self.stored_secrets) else 0,
        }


def _project_locator(inventory):
    """``project_of(path)``: the project whose folder is the longest prefix of ``path``."""
    projects = getattr(inventory, "projects", None)
    pairs = []
    if projects is not None and len(projects):
        pairs = sorted(((str(p), str(n)) for p, n in zip(projects["path"], projects["project"])),
                       key=lambda pair: -len(pair[0]))

    def project_of(path: str) -> str | None:
        for folder, name in pairs:
            if folder in (".", "") or path == folder or path.startswith(folder + "/"):
                return name
        return None
    return project_of


def _is_deployment_candidate(name: str, rel: str) -> str | None:
    lower = name.lower()
    if dep.is_compose_file(name):
        return "compose"
    if dep.is_dockerfile(name):
        return "dockerfile"
    if lower.endswith((".tf", ".tfvars")):
        return "manifest"
    if lower.endswith(_YAML_SUFFIXES) and lower not in _MAGE_OWN_YAML and "/pipelines/" not in f"/{rel}":
        return "manifest"
    return None


def scan_security(inventory, history=None, exclude: Iterable[str] = (), *, git_history_commits: int | None = None,
                  since: str | None = None) -> SecurityScan:
    """Gather the security posture of the repo behind ``inventory`` (and its run history).

    Never raises on bad input: unreadable files and DB errors become ``problems``. Files the
    repo reader already scanned (``inventory.security_prescan``) are not read again.
    Git history is scanned for secrets no longer in HEAD over the commits since ``since`` or
    the newest ``git_history_commits`` (default ``$AUDITKIT_GIT_HISTORY_COMMITS`` or 500; 0: off).
    """
    scan = SecurityScan()
    problems = ProblemLog()
    root = Path(inventory.root).resolve()
    project_of = _project_locator(inventory)
    started = time.perf_counter()
    found = _scan_files(inventory, root, exclude, project_of, problems)
    scan.timings_s["files"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    found.risk_rows.extend(cr.bandit_risks(found.python_files))
    scan.timings_s["bandit"] = round(time.perf_counter() - started, 3)
    scan.deployments, scan.server_settings = _read_deployments(found, project_of, problems)

    scan.secrets = _with_projects(ms.merge_secret_rows(found.secret_rows), project_of)
    scan.committed_trigger_tokens = set(scan.secrets.loc[scan.secrets["kind"] == "trigger_token", "fingerprint"])
    started = time.perf_counter()
    with sec.GenericSecretScanner() as generic:
        scan.history = hs.scan_history(str(root), generic, head_fingerprints=set(scan.secrets["fingerprint"]),
                                       exclude=exclude, max_commits=_history_commits(git_history_commits),
                                       since=since, project_of=project_of)
    problems.extend(scan.history.problems)
    scan.timings_s["git_history"] = round(time.perf_counter() - started, 3)
    scan.code_risks = _with_projects(cr.code_risks_frame(found.risk_rows), project_of)
    scan.exposed_files = exp.exposures_frame(found.file_hits, found.folder_hits, project_of, root=root)

    if history is not None and getattr(history, "engine", None) is not None:
        _read_accounts(scan, history, problems)
    scan.problems = list(problems)
    return scan


@dataclass
class _FileFindings:
    """What the walk over the repo's files gathers; the detectors after the walk read it."""

    secret_rows: list[dict]
    texts: dict[str, str] = field(default_factory=dict)              # rel -> text of every file read
    risk_rows: list[dict] = field(default_factory=list)
    python_files: list[tuple[str, str, str | None]] = field(default_factory=list)   # for bandit
    file_hits: list[tuple[str, str]] = field(default_factory=list)   # (rel, exposure kind)
    folder_hits: dict[str, str] = field(default_factory=dict)        # folder -> exposure kind
    deployment_files: list[tuple[str, str]] = field(default_factory=list)   # (rel, role)


def _scan_files(inventory, root: Path, exclude: Iterable[str], project_of, problems: ProblemLog) -> _FileFindings:
    """Walk the repo's files once: exposures, Mage's own secrets, code risks, deployment files,
    and the generic secret detectors (in worker processes on big repos)."""
    io_config = getattr(inventory, "io_config", None)
    safe_io_lines = ms.io_config_safe_lines(io_config)
    found = _FileFindings(secret_rows=ms.io_config_secrets(io_config))
    prescanned = getattr(inventory, "security_prescan", None) or {}
    skip_dirs = frozenset(SKIP_DIRS - _LISTED_ONLY_DIRS)
    repo_files = list(iter_repo_files(root, exclude, skip_dirs=skip_dirs))
    with sec.GenericSecretScanner() as generic:
        # Generic detectors run in worker processes (big repos) while this loop reads on; their
        # rows join after the loop, which merge_secret_rows' stable sort makes order-neutral.
        generic_pool = gp.GenericScanPool(generic, found.texts, len(repo_files))
        for repo_file in repo_files:
            rel = repo_file.rel
            if _listed_only(rel, found):
                continue
            known = prescanned.get(rel)
            if known is not None:   # scanned by the reader's workers (never over MAX_SCAN_BYTES)
                _take_prescan(rel, repo_file.path, known, project_of(rel) is not None, found.file_hits,
                              found.secret_rows, found.risk_rows, found.python_files)
                continue
            text = _read_text(repo_file, project_of, problems)
            kind = exp.file_exposure(rel, text[:4096] if text else None)
            if kind:
                found.file_hits.append((rel, kind))
            if text is not None:
                found.texts[rel] = text
                generic_pool.add(rel, repo_file.path, repo_file.size)
                _scan_text(rel, repo_file.path, text, project_of(rel) is not None, found)
        for rel, rows in generic_pool.results():
            if rel in safe_io_lines:
                rows = [r for r in rows if r["line"] not in safe_io_lines[rel]]
            found.secret_rows.extend(rows)
    return found


def _listed_only(rel: str, found: _FileFindings) -> bool:
    """True for a file inside a folder whose presence is the finding (mage_data...): the folder
    is noted, and the file itself when it is a key or Mage's database; it is not read."""
    in_folder = exp.folder_exposure(rel)
    if not in_folder:
        return False
    found.folder_hits.setdefault(in_folder[0], in_folder[1])
    kind = exp.file_exposure(rel, None)
    if kind in ("secrets_key", "mage_db"):
        found.file_hits.append((rel, kind))
    return True


def _read_text(repo_file, project_of, problems: ProblemLog) -> str | None:
    """The decoded text of a file, None when it is too large (a problem), unreadable or binary."""
    if repo_file.size > MAX_SCAN_BYTES:
        problems.add(repo_file.rel, "too_large", f"not scanned for secrets: over {MAX_SCAN_BYTES // 2**20} MB",
                     project_of(repo_file.rel))
        return None
    data, _skipped = read_limited(repo_file.path, repo_file.size)
    return decode_text(data)[0] if data is not None else None


def _scan_text(rel: str, path: str, text: str, in_project: bool, found: _FileFindings) -> None:
    """The detectors that read one file's text here (the generic ones run in the pool)."""
    name = PurePosixPath(rel).name
    if name == "triggers.yaml":
        found.secret_rows.extend(ms.trigger_token_secrets(rel, text))
    elif name == "metadata.yaml":
        found.secret_rows.extend(ms.metadata_secrets(rel, text))
    elif exp.is_env_file(name):
        found.secret_rows.extend(ms.env_file_secrets(rel, text))
    if name.lower().endswith(_YAML_SUFFIXES):
        found.risk_rows.extend(cr.yaml_tag_risks(rel, text))
    if name.endswith(".py") and in_project:
        if cr.bandit_candidate(text):
            found.python_files.append((rel, path, None))
        found.risk_rows.extend(cr.ast_risks(rel, text))
    role = _is_deployment_candidate(name, rel)
    if role or exp.is_env_file(name):
        found.deployment_files.append((rel, role or "env"))


def _read_deployments(found: _FileFindings, project_of, problems: ProblemLog) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(deployments, server settings) from the compose files, Dockerfiles, manifests and env
    files the walk found."""
    reader = dep.DeploymentReader(lambda rel: found.texts.get(rel), project_of, problems)
    for rel, role in found.deployment_files:
        text = found.texts[rel]
        if role == "compose":
            reader.read_compose(rel, text)
        elif role == "dockerfile":
            reader.read_dockerfile(rel, text)
        elif role == "manifest":
            reader.read_manifest(rel, text)
        else:
            reader.read_env_only(rel, text)
    return reader.frames()


def _read_accounts(scan: SecurityScan, history, problems: ProblemLog) -> None:
    """Users, API triggers and stored secrets from the open run history."""
    started = time.perf_counter()
    db_problems: list[InputProblem] = []
    scan.accounts = acc.read_accounts(history, db_problems)
    scan.api_triggers = acc.read_api_triggers(history, db_problems)
    scan.stored_secrets = acc.read_stored_secrets(history, db_problems)
    problems.extend(db_problems)
    scan.history_read = True
    scan.timings_s["accounts"] = round(time.perf_counter() - started, 3)


def _history_commits(configured: int | None) -> int:
    import os

    if configured is not None:
        return int(configured)
    try:
        return int(os.environ.get("AUDITKIT_GIT_HISTORY_COMMITS", hs.DEFAULT_MAX_COMMITS))
    except ValueError:
        return hs.DEFAULT_MAX_COMMITS


def _take_prescan(rel: str, path: str, known: fs.FileSecurity, in_project: bool, file_hits: list,
                  secret_rows: list, risk_rows: list, python_files: list) -> None:
    """The rows of a file the repo reader's workers already scanned, as the loop would add them."""
    if known.exposure:
        file_hits.append((rel, known.exposure))
    secret_rows.extend(known.secrets)
    if in_project:   # code checks cover block code inside a project, as for files read here
        risk_rows.extend(known.risks)
        if known.bandit_candidate:
            python_files.append((rel, path, None))


def _with_projects(frame: pd.DataFrame, project_of) -> pd.DataFrame:
    if frame.empty:
        return frame
    frame = frame.copy()
    missing = frame["project"].isna()
    frame.loc[missing, "project"] = frame.loc[missing, "path"].map(project_of)
    return frame


__all__ = ["SecurityScan", "scan_security"]
