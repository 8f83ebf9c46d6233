"""Per-file results kept between audits, keyed by file content, so unchanged files are not parsed again.

Measuring a block file (parse, metrics, code facts, per-file security detectors) costs ~4 ms;
reading and hashing it costs ~0.1 ms. Scheduled audits and CI runs see mostly unchanged files,
so the repo reader looks each file up here first (as ruff and mypy keep their caches).

* Where: ``$AUDITKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/auditkit``, else ``~/.cache/auditkit``;
  never inside the audited repo (a cache folder there is not used). ``AUDITKIT_CACHE_DIR=off`` (or ``--no-cache``) turns it off.
* Key: a hash of the file's bytes, its repo path, its language, whether security facts were
  asked for, and :func:`analyzer_version` (auditkit's version, the source of every module that
  computes a per-file result, and the versions of Python, detect-secrets and radon), so any change to
  the code that produced an entry makes it unreachable.
* Best effort: an unreadable, locked or corrupt cache is a cache miss, never an error. Workers
  only read; the calling process writes the new entries once, at the end.
* Bounded: a cache file over ``MAX_CACHE_BYTES`` is started afresh.
* Data only: results are stored as JSON text through :class:`auditkit.datacodec.DataCodec`, never
  pickled, because the cache may come from a shared CI cache. Reading an entry builds plain values
  and :class:`~auditkit.readers.security.filescan.FileSecurity` records and nothing else; an entry
  that is not such data is a miss.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

MAX_CACHE_BYTES = 1024 * 1024 * 1024
CACHE_FILE = "file-results-v2.sqlite"   # v1 held pickles; it is never read
# Modules whose code decides a cached per-file result.
_ANALYZER_MODULES = ("auditkit.readers.code", "auditkit.readers.filejob", "auditkit.readers.clones", "auditkit.readers.complex_functions", "auditkit.readers.block_cues", "auditkit.readers.code_facts", "auditkit.readers.literal_facts",
                     "auditkit.readers.paths", "auditkit.readers.filecache",
                     "auditkit.readers.security.filescan", "auditkit.readers.security.secrets",
                     "auditkit.readers.security.code_risks", "auditkit.readers.security.exposure",
                     "auditkit.readers.security.trust", "auditkit.datacodec", "auditkit.readers.templates",
                     "auditkit.readers.security.quiet", "auditkit.readers.security.gates",
                     "auditkit.readers.security.yaml_lines", "auditkit.readers.security.extra_plugins",
                     "auditkit.readers.security.mage_secrets")


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is turned off."""
    configured = os.environ.get("AUDITKIT_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "auditkit"


@lru_cache(maxsize=1)
def analyzer_version() -> str:
    """A hash of everything that decides a per-file result (see the module docstring)."""
    import importlib
    from importlib import metadata

    from auditkit.version import __version__

    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{__version__}|{sys.version}".encode())
    for package in ("detect-secrets", "radon"):
        try:
            digest.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            pass
    for name in _ANALYZER_MODULES:
        for source in _module_sources(importlib.import_module(name)):
            digest.update(source.read_bytes())
    from auditkit.readers.templates import TEMPLATES_JSON   # data a per-file result depends on
    digest.update(TEMPLATES_JSON.read_bytes())
    return digest.hexdigest()


def _module_sources(module: Any) -> list[Path]:
    """The source file of a module; every source file of a package (code_facts/ and the like)."""
    source = getattr(module, "__file__", None)
    if not source:
        return []
    if getattr(module, "__path__", None) is None:
        return [Path(source)]
    return sorted(Path(source).parent.rglob("*.py"))


@dataclass(frozen=True)
class FileCache:
    """A handle on the cache file (two strings: cheap to hand to worker processes)."""

    path: str
    version: str

    @classmethod
    def open_default(cls, outside: Path | None = None) -> "FileCache | None":
        """The cache in :func:`cache_dir`, or None when turned off, when the folder cannot be
        made, or when it would lie inside ``outside`` (the audited repo: never written to)."""
        folder = cache_dir()
        if folder is None:
            return None
        if outside is not None:
            try:
                folder.resolve().relative_to(Path(outside).resolve())
                return None
            except ValueError:
                pass
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / CACHE_FILE
            if path.exists() and path.stat().st_size > MAX_CACHE_BYTES:
                path.unlink()   # started afresh rather than pruned: simple and bounded
        except OSError:
            return None
        return cls(str(path), analyzer_version())

    def key(self, rel: str, language: str, security: bool, data: bytes) -> str:
        digest = hashlib.blake2b(digest_size=20)
        # surrogatepass: paths that are not valid UTF-8 arrive with surrogate escapes
        digest.update(f"{self.version}\0{rel}\0{language}\0{int(security)}\0".encode("utf-8", "surrogatepass"))
        digest.update(data)
        return digest.hexdigest()

    def reader(self) -> "CacheReader":
        return CacheReader(self.path)

    def store(self, entries: Iterable[tuple[str, str]]) -> int:
        """Write new entries in one transaction; returns how many (0 when the cache is unusable)."""
        entries = list(entries)
        if not entries:
            return 0
        for attempt in (1, 2):
            try:
                db = sqlite3.connect(self.path, timeout=5)
                try:
                    db.execute("PRAGMA synchronous = OFF")   # a cache: a torn write is repaired, not fatal
                    with db:
                        db.execute("CREATE TABLE IF NOT EXISTS result (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                        db.executemany("INSERT OR REPLACE INTO result (key, value) VALUES (?, ?)", entries)
                finally:
                    db.close()
                return len(entries)
            except sqlite3.OperationalError:   # locked by another audit, disk full: skip this time
                return 0
            except sqlite3.DatabaseError:      # not a database (damaged): start it afresh, once
                if attempt == 2:
                    return 0
                try:
                    os.unlink(self.path)
                except OSError:
                    return 0
        return 0


class CacheReader:
    """Read-only lookups (one connection per batch of files)."""

    def __init__(self, path: str) -> None:
        self.db: sqlite3.Connection | None = None
        if os.path.exists(path):
            try:
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
            except sqlite3.Error:
                self.db = None

    def get(self, key: str) -> Any | None:
        """The stored result, or None on a miss or any cache trouble."""
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT value FROM result WHERE key = ?", (key,)).fetchone()
            return _codec().loads(row[0]) if row else None
        except (sqlite3.Error, ValueError, TypeError, UnicodeDecodeError):
            return None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def __enter__(self) -> "CacheReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@lru_cache(maxsize=1)
def _codec():
    from auditkit.datacodec import DataCodec
    from auditkit.readers.security.filescan import FileSecurity

    return DataCodec([FileSecurity])


def dumps(result: Any) -> str:
    """One per-file result as the JSON text stored in the cache."""
    return _codec().dumps(result)
