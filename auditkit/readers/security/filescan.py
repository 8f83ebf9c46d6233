"""Security facts of one block file, taken where the repo reader already holds its text and AST.

Block files are most of a big repo. The repo reader's workers read, decode and parse each of
them; running the per-file detectors there as well spares :func:`scan_security` a second read,
decode and parse of every block file. :func:`scan_security` takes these facts for the files they
cover and reads every other file itself, with the same detectors, so the result is the same.

Only Python, SQL and R block files up to ``MAX_SCAN_BYTES`` are covered: YAML and markdown
block files may be deployment manifests or hold YAML tags, which the scan's own loop handles.
"""
from __future__ import annotations

import ast
from typing import NamedTuple

from auditkit.readers.security import code_risks as cr
from auditkit.readers.security import exposure as exp

MAX_SCAN_BYTES = 2 * 1024 * 1024   # larger files are data dumps, not config or code
COVERED_LANGUAGES = frozenset({"python", "sql", "r"})


class FileSecurity(NamedTuple):
    """What the per-file detectors found in one file (fingerprints, never values)."""

    secrets: list[dict]            # generic detect-secrets rows
    risks: list[dict]              # code-risk rows of our own AST checks
    bandit_candidate: bool         # the text names something bandit's selected tests look at
    exposure: str | None           # exposure kind from the path and the first 4 KB


NOTHING = FileSecurity([], [], False, None)


def file_security(rel: str, text: str, tree: ast.AST | None, scanner) -> FileSecurity:
    """The per-file detectors on ``text`` (``tree``: its parsed AST, or None to parse when needed)."""
    secrets = scanner.scan_text(rel, text)
    python = rel.endswith(".py")
    risks = cr.ast_risks(rel, text, tree) if python else []
    bandit = python and cr.bandit_candidate(text)
    exposure = exp.file_exposure(rel, text[:4096])
    if not (secrets or risks or bandit or exposure):
        return NOTHING
    return FileSecurity(secrets, risks, bandit, exposure)


def block_file_security(rel: str, text: str, tree: ast.AST | None, size: int, language: str,
                        scanner) -> FileSecurity | None:
    """:func:`file_security` for the block files this module covers; None for the others."""
    if language not in COVERED_LANGUAGES or size > MAX_SCAN_BYTES:
        return None
    return file_security(rel, text, tree, scanner)
