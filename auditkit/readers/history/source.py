"""Find and open a Mage run-history DB strictly read-only.

SQLite files are opened through a ``file:...?mode=ro`` URI, so nothing (not even a journal)
is written; PostgreSQL sessions default to read-only transactions in UTC, with a short
connect timeout and a per-statement timeout (a cancelled statement is an input problem).
Every failure becomes an :class:`InputProblem` with the password masked.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from auditkit.model import InputProblem

from .schema import ALEMBIC_HEAD, HISTORY_TABLES, TABLES

CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_S = 300           # Postgres: no one statement may run longer (each is one id range)
WORK_MEM = "64MB"                   # Postgres: per sort/hash of our statements (default 4MB spills to disk)
SQLITE_BUSY_TIMEOUT_S = 2.0
DB_FILENAME = "mage-ai.db"


@dataclass
class Connection:
    """What :func:`connect` found: an engine (or None), a printable label, the block-log
    root (``<variables_dir>/pipelines``) and the schema actually present."""

    engine: Engine | None
    label: str
    log_root: Path | None
    tables: set[str] = field(default_factory=set)
    columns: dict[str, set[str]] = field(default_factory=dict)
    alembic_version: str | None = None
    problems: list[InputProblem] = field(default_factory=list)
    # Read through a Mage server's API (api/): what the read did, the requests sent by method,
    # and the callable that removes the temporary mirror (called by History.close()).
    api_read: Any = None
    api_requests: dict[str, int] = field(default_factory=dict)
    cleanup: Callable[[], Any] | None = None
    mirror: str | None = None          # the API mirror's SQLite file (api.connect_api)


def mask(url_text: str) -> str:
    """A DB URL with its password replaced by ``***`` (falls back to the scheme only)."""
    try:
        return make_url(url_text).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return url_text.split("://", 1)[0] + "://***" if "://" in url_text else url_text


def display_url(url: str) -> str:
    """An HTTP URL without user info, query or fragment: safe to print and store."""
    parts = urlsplit(str(url).strip())
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def find_mage_db(mage_data: str | os.PathLike, project: str | None) -> tuple[Path | None, str]:
    """``<mage_data>/<project>/mage-ai.db`` (or ``<mage_data>/mage-ai.db`` when a relative
    variables_dir put it there). Without ``project`` the only project folder with a DB is
    used. Returns (path or None, reason when None or ambiguous)."""
    root = Path(mage_data)
    if project:
        candidate = root / project / DB_FILENAME
        return (candidate, "") if candidate.is_file() else (None, f"no {DB_FILENAME} for project {project}")
    if (root / DB_FILENAME).is_file():
        return root / DB_FILENAME, ""
    found = sorted(p for p in root.glob(f"*/{DB_FILENAME}") if p.is_file())
    if not found:
        return None, f"no {DB_FILENAME} under the Mage data folder"
    reason = "" if len(found) == 1 else (
        f"several projects have a DB ({', '.join(p.parent.name for p in found)}); "
        f"using {found[0].parent.name}, pass project= to choose")
    return found[0], reason


def _sqlite_url_path(url_text: str) -> str | None:
    try:
        database = make_url(url_text).database or ""
    except (ArgumentError, ValueError):
        return None
    return None if database.startswith("file:") or database in ("", ":memory:") else database


def find_log_root(mage_data: str | os.PathLike, project: str | None) -> Path | None:
    """The ``pipelines`` folder holding block logs in a Mage data folder, or None."""
    root = Path(mage_data)
    candidates = [root / project / "pipelines"] if project else [root / "pipelines"]
    if not project:
        candidates += sorted(p for p in root.glob("*/pipelines") if p.is_dir())
    return next((p for p in candidates if p.is_dir()), None)


def _wal_without_sidecars(path: Path) -> bool:
    """A WAL-mode DB (header bytes 18-19 == 2) with no -wal file: opening it even read-only
    would make SQLite create -wal/-shm next to it, so it is opened immutable instead (safe:
    without a -wal file nothing is pending)."""
    try:
        with path.open("rb") as fh:
            header = fh.read(20)
    except OSError:
        return False
    return (len(header) == 20 and header.startswith(b"SQLite format 3\x00") and header[18] == 2
            and not Path(f"{path}-wal").exists())


def _sqlite_readonly_url(path: Path) -> str:
    flags = "mode=ro&immutable=1" if _wal_without_sidecars(path) else "mode=ro"
    return f"sqlite+pysqlite:///file:{quote(str(path.resolve()))}?{flags}&uri=true"


def _sqlite_session(dbapi_conn, _record) -> None:
    """Per-connection settings that speed up big GROUP BY/window sorts; none writes the file
    (query_only also refuses writes should a URL without mode=ro get here)."""
    dbapi_conn.text_factory = lambda raw: raw.decode("utf-8", "replace")  # one bad row must not fail a query
    cursor = dbapi_conn.cursor()
    try:
        # No mmap: mapped DB pages would count as this process's memory.
        for pragma in ("query_only = ON", "temp_store = MEMORY", "cache_size = -65536", "threads = 2"):
            cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _make_engine(url_text: str, statement_timeout_s: float = STATEMENT_TIMEOUT_S) -> Engine:
    url = make_url(url_text)
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database.startswith("file:") or database in ("", ":memory:"):
            ro_url = url_text
        else:
            ro_url = _sqlite_readonly_url(Path(database))
        engine = create_engine(ro_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_session)
        return engine
    if backend == "postgresql":
        # Every transaction of these sessions is read-only, every statement has a timeout.
        # No JIT: compiling the range statements' expressions costs more than it saves.
        timeout_ms = max(1, int(statement_timeout_s * 1000))
        engine = create_engine(url, connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c default_transaction_read_only=on -c timezone=UTC "
                       f"-c statement_timeout={timeout_ms} -c work_mem={WORK_MEM} -c jit=off",
        }, pool_pre_ping=True)
        return engine
    engine = create_engine(url, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_conn, _record):  # MySQL/MSSQL: best effort, Mage supports them too
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SET SESSION TRANSACTION READ ONLY")
        except Exception:  # noqa: BLE001 - dialects without the statement still read
            pass
        finally:
            cursor.close()
    return engine


def connect(source: str | os.PathLike | None = None, *, mage_data: str | os.PathLike | None = None,
            project: str | None = None, statement_timeout_s: float | None = None) -> Connection:
    """Resolve ``source``/``mage_data`` and inspect the schema; never raises for bad input.
    ``statement_timeout_s`` (Postgres) bounds every statement; default STATEMENT_TIMEOUT_S."""
    problems: list[InputProblem] = []
    log_root: Path | None = None
    db_file: Path | None = None
    url_text: str | None = None
    is_url = source is not None and "://" in str(source)
    if is_url and str(source).startswith("sqlite"):
        database = _sqlite_url_path(str(source))
        if database is not None:                  # a plain SQLite file: treat like a path
            source, is_url = database, False
    if mage_data is not None and is_url:
        log_root = find_log_root(mage_data, project)       # the DB is elsewhere; logs are here
    elif mage_data is not None:
        db_file, reason = find_mage_db(mage_data, project)
        if reason:
            problems.append(InputProblem(str(mage_data), "history", reason))
        if db_file is not None:
            log_root = db_file.parent / "pipelines"
    if is_url:
        url_text = str(source)
    elif source is not None:
        db_file = Path(str(source))
        if log_root is None:
            log_root = db_file.parent / "pipelines"
    if db_file is not None:
        if not db_file.is_file():
            problems.append(InputProblem(str(db_file), "history", "history DB file not found"))
            return Connection(None, str(db_file), _existing(log_root), problems=problems)
        url_text = _sqlite_readonly_url(db_file)
        label = str(db_file)
    elif url_text is not None:
        label = mask(url_text)
    else:
        return Connection(None, str(mage_data or ""), _existing(log_root), problems=problems)
    try:
        engine = _make_engine(url_text, statement_timeout_s or STATEMENT_TIMEOUT_S)
    except (ArgumentError, SQLAlchemyError, ImportError, ValueError) as exc:
        problems.append(InputProblem(label, "history", f"cannot use DB URL: {type(exc).__name__}"))
        return Connection(None, label, _existing(log_root), problems=problems)
    conn = Connection(engine, label, _existing(log_root), problems=problems)
    _inspect_schema(conn)
    if conn.engine is None:
        engine.dispose()
    return conn


def _existing(path: Path | None) -> Path | None:
    return path if path is not None and path.is_dir() else None


def _describe(exc: Exception) -> str:
    """A one-line reason without connection secrets (driver messages can echo the URL)."""
    message = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = message[0] if message else type(exc).__name__
    if "password" in first.lower():
        return "authentication failed (wrong user or password)"
    return first[:200]


def _inspect_schema(conn: Connection) -> None:
    """Fill tables/columns; a DB that cannot be read or is not Mage's gets engine=None."""
    try:
        with conn.engine.connect() as db:
            inspector = inspect(db)
            names = set(inspector.get_table_names())
            conn.tables = names & set(TABLES)
            for table in conn.tables:
                conn.columns[table] = {c["name"] for c in inspector.get_columns(table)}
            if "alembic_version" in names:
                row = db.execute(text("SELECT version_num FROM alembic_version")).first()
                conn.alembic_version = row[0] if row else None
            # Touch a history table so locks and corruption show up now, not mid-report.
            for table in HISTORY_TABLES:
                if table in conn.tables:
                    db.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).all()
    except (SQLAlchemyError, OSError) as exc:
        conn.problems.append(InputProblem(conn.label, "history", f"cannot read the history DB: {_describe(exc)}"))
        conn.engine, conn.tables, conn.columns = None, set(), {}
        return
    if not conn.tables & set(HISTORY_TABLES):
        conn.problems.append(InputProblem(conn.label, "history",
                                          "not a Mage run-history DB (no pipeline_run/pipeline_schedule tables)"))
        conn.engine = None
        return
    if conn.alembic_version != ALEMBIC_HEAD:
        conn.problems.append(InputProblem(
            conn.label, "history_schema",
            f"schema revision {conn.alembic_version or 'unknown'} differs from Mage 0.9.77-0.9.80 "
            f"({ALEMBIC_HEAD}); reading what is present"))
    for table in HISTORY_TABLES:
        if table not in conn.tables:
            conn.problems.append(InputProblem(conn.label, "history_schema", f"table {table} is missing"))
            continue
        expected = [c for c, _ in TABLES[table]]
        for column in expected:
            if column not in conn.columns[table]:
                conn.problems.append(InputProblem(
                    conn.label, "history_schema", f"column {table}.{column} is missing (older Mage?)"))
