"""The environments of a drift comparison, as given on the command line.

``--env NAME=SPEC`` names one environment. ``SPEC`` is a git ref of the audited repository
(``main``, ``origin/staging``, a tag or a commit) or a folder (a separate checkout or workspace);
``git:SPEC`` and ``dir:SPEC`` force one reading. Environments are listed in promotion order
(development first, production last), as in the CI/CD guide's development -> staging -> main.

Each environment runs Mage with some ``ENV``; Mage's ``get_env()`` turns it into ``dev``,
``staging``, ``prod`` or ``test`` and syncs a trigger only where that value is in its ``envs``
list (mage-reference §4, §13). The Mage environment of an environment is read from its name the
way the CI/CD guide names branches (``prod``, ``production``, ``main`` -> ``prod``; ``staging``,
``stage``, ``uat``, ``qa`` -> ``staging``; ``test`` -> ``test``; anything else -> ``dev``) or given
explicitly as ``NAME:MAGE_ENV=SPEC`` (``live:prod=release``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from auditkit.readers.git import branch_kind

MAGE_ENVS = ("dev", "staging", "prod", "test")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


class DriftInputError(Exception):
    """Drift cannot read what it was given (the CLI turns it into exit code 2)."""


class EnvSpecError(DriftInputError, ValueError):
    """An ``--env`` / ``--history`` / ``--mage-data`` value that cannot be used."""


@dataclass(frozen=True)
class EnvSpec:
    """One environment: its name, what to read and the Mage environment its server runs as."""

    name: str                      # label used everywhere: dev, staging, prod
    spec: str                      # git ref or folder, as given (without a git:/dir: prefix)
    mage_env: str                  # dev / staging / prod / test (Mage's get_env() there)
    kind: str = ""                 # "git" or "folder" once resolved against the repository
    history: str | None = None     # run-history DB of this environment (SQLAlchemy URL or SQLite file)
    mage_data: str | None = None   # Mage data folder of this environment
    forced: str = ""               # "git" or "dir" when the spec said so

    def resolved(self, kind: str) -> "EnvSpec":
        return replace(self, kind=kind)


def mage_env_for(name: str) -> str:
    """The Mage environment a server of the environment ``name`` runs as (see module doc)."""
    lower = name.lower()
    if lower in ("test", "testing"):
        return "test"
    kind = branch_kind(lower)
    return {"main": "prod", "staging": "staging"}.get(kind, "dev")


def parse_env(text: str) -> EnvSpec:
    """``NAME[:MAGE_ENV]=SPEC`` -> :class:`EnvSpec` (kind not yet resolved)."""
    name, sep, spec = str(text).partition("=")
    name, _, mage_env = name.strip().partition(":")
    spec = spec.strip()
    if not sep or not name or not spec:
        raise EnvSpecError(f"--env {text!r}: expected NAME=REF_OR_FOLDER (e.g. prod=main)")
    if not _NAME_RE.match(name):
        raise EnvSpecError(f"--env {text!r}: the name must be letters, digits, '.', '_' or '-'")
    if mage_env and mage_env not in MAGE_ENVS:
        raise EnvSpecError(f"--env {text!r}: Mage environment must be one of {', '.join(MAGE_ENVS)}")
    forced = ""
    for prefix in ("git:", "dir:"):
        if spec.startswith(prefix):
            forced, spec = prefix[:-1], spec[len(prefix):]
    if not spec or (spec.startswith("-") and forced != "dir"):
        raise EnvSpecError(f"--env {text!r}: {spec!r} is not a git ref or folder")
    return EnvSpec(name=name, spec=spec, mage_env=mage_env or mage_env_for(name), forced=forced)


def _per_env(values: list[str] | None, option: str, names: set[str]) -> dict[str, str]:
    """``NAME=VALUE`` options (``--history``, ``--mage-data``) keyed by environment name."""
    out: dict[str, str] = {}
    for text in values or []:
        name, sep, value = str(text).partition("=")
        name, value = name.strip(), value.strip()
        if not sep or name not in names or not value:
            raise EnvSpecError(f"{option} {_safe(text)!r}: expected ENV=VALUE with ENV one of "
                               f"{', '.join(sorted(names))}")
        if name in out:
            raise EnvSpecError(f"{option}: environment {name!r} given twice")
        out[name] = value
    return out


def _safe(text: str) -> str:
    """An option value for an error message, without a password in a URL."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(text))


def parse_envs(envs: list[str], history: list[str] | None = None,
               mage_data: list[str] | None = None) -> list[EnvSpec]:
    """The environments in promotion order, each with its own history if one was given."""
    specs = [parse_env(text) for text in envs or []]
    if len(specs) < 2:
        raise EnvSpecError("drift needs at least two environments (--env NAME=REF_OR_FOLDER, repeated)")
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise EnvSpecError(f"--env: environment name(s) given twice: {', '.join(duplicates)}")
    hist = _per_env(history, "--history", set(names))
    data = _per_env(mage_data, "--mage-data", set(names))
    return [replace(s, history=hist.get(s.name), mage_data=data.get(s.name)) for s in specs]


def production_index(specs: list[EnvSpec]) -> int:
    """Index of the production environment: the last one running as Mage ``prod``, else the last."""
    for index in range(len(specs) - 1, -1, -1):
        if specs[index].mage_env == "prod":
            return index
    return len(specs) - 1


def split_env_list(text: str) -> list[str]:
    """``"dev=development, prod=main"`` (a notebook parameter) -> ``["dev=development", "prod=main"]``."""
    return [part.strip() for part in re.split(r"[,\n;]", text or "") if part.strip()]
