"""One block file read once and measured: metrics and code facts (:mod:`auditkit.readers.code`),
the per-file security detectors on the same text and AST
(:mod:`auditkit.readers.security.filescan`), and the per-file result cache
(:mod:`auditkit.readers.filecache`).

:func:`measure_many` is a plain top-level function of picklable arguments: the repo reader fans
it out over worker processes for large repositories.
"""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from auditkit.readers import filecache
from auditkit.readers.block_cues import block_cues
from auditkit.readers.clones import clone_units
from auditkit.readers.complex_functions import complex_functions
from auditkit.readers.code import empty_metrics, measure_text_and_tree
from auditkit.readers.paths import MAX_FILE_BYTES, decode_text, read_limited
from auditkit.readers.security.filescan import block_file_security
from auditkit.readers.security.secrets import GenericSecretScanner


def measure_block_file(path: str, size: int, language: str,
                       max_bytes: int = MAX_FILE_BYTES) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Read one block file once and measure it; returns (metrics, problems as (kind, reason))."""
    metrics, problems, _security = measure_file(path, size, language, max_bytes)
    return metrics, problems


def measure_file(path: str, size: int, language: str, max_bytes: int = MAX_FILE_BYTES,
                  rel: str | None = None, scanner: Any = None, data: bytes | None = None,
                  skipped: str | None = None) -> tuple[dict[str, Any], list[tuple[str, str]], Any]:
    """:func:`measure_block_file` plus, with a ``scanner``, the file's security facts taken from
    the same text and AST (see :mod:`auditkit.readers.security.filescan`). ``data``: the
    file's bytes when the caller already read them."""
    if data is None and skipped is None:
        data, skipped = read_limited(path, size, max_bytes)
    if data is None:
        kind = "too_large" if "larger" in (skipped or "") else ("binary" if "binary" in (skipped or "") else "unreadable")
        return empty_metrics(size, skipped), [(kind, f"block file skipped: {skipped}")], None
    text, had_errors = decode_text(data)
    problems = [("encoding", "not valid UTF-8; undecodable bytes replaced")] if had_errors else []
    metrics, more, tree = measure_text_and_tree(text, language)
    metrics.update(size_bytes=size, skipped=None, clones=clone_units(text, tree, language),
                   complex_functions=complex_functions(tree, metrics.get("complexity_max")),
                   cues=block_cues(tree))
    security = None
    if scanner is not None and rel is not None:
        security = block_file_security(rel, text, tree, size, language, scanner)
    return metrics, problems + more, security


def measure_many(jobs: list[tuple[str, int, str, str]], security: bool = False, cache: Any = None
                 ) -> tuple[list[tuple[dict[str, Any], list[tuple[str, str]], Any]], list[tuple[str, bytes]]]:
    """Measure a batch of (path, size, language, rel) jobs: (metrics, problems, security facts
    or None) each, plus the new entries for ``cache`` (a
    :class:`~auditkit.readers.filecache.FileCache`; results found there are not recomputed).
    The unit of work for a process pool."""
    results: list[tuple[dict[str, Any], list[tuple[str, str]], Any]] = []
    new_entries: list[tuple[str, bytes]] = []
    with ExitStack() as stack:
        scanner = None
        reader = stack.enter_context(cache.reader()) if cache is not None else None
        for path, size, language, rel in jobs:
            data, skipped = read_limited(path, size)
            key = cache.key(rel, language, security, data) if cache is not None and data is not None else None
            found = reader.get(key) if key is not None else None
            if found is None:
                if security and scanner is None:   # one detect-secrets set-up per batch, on its first miss
                    scanner = stack.enter_context(GenericSecretScanner())
                found = measure_file(path, size, language, rel=rel, scanner=scanner, data=data, skipped=skipped)
                if key is not None:
                    new_entries.append((key, filecache.dumps(found)))
            results.append(found)
    return results, new_entries
