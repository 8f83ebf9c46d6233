"""A throwaway PostgreSQL server for tests, from the Debian package's binaries.

``PgServer.start(tmp)`` runs initdb into ``tmp`` (owned by the ``postgres`` OS user when we
are root, since postgres refuses to run as root), starts it on a free loopback port with its
unix socket in ``tmp``, and sets a password so a wrong password can be tested.
``load_mage_history(url, sqlite_path)`` creates Mage's Postgres schema (native enums, quoted
"user", json, timestamptz) and copies every row of a Mage SQLite history into it.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from auditkit.readers.history.schema import TABLES, ddl, quote

PASSWORD = "auditkit-test-pw"


class PgUnavailable(RuntimeError):
    """The server could not be started here (no binaries, no postgres user, ...)."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PgUnavailable("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    root: Path
    port: int
    bin_dir: Path
    as_postgres: bool

    @property
    def url(self) -> str:
        return self.url_for("mage")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)

    @classmethod
    def start(cls, tmp: Path, *, keep: bool = False) -> "PgServer":
        """Start a server whose cluster lives in ``tmp/pg/data``. ``keep``: reuse a cluster
        made by an earlier call (the benchmark keeps its loaded histories between runs)."""
        bin_dir = _bin_dir()
        as_postgres = os.geteuid() == 0
        root = Path(tmp) / "pg"
        existing = keep and (root / "data" / "PG_VERSION").exists()
        root.mkdir(parents=True, exist_ok=True)
        if as_postgres:
            if shutil.which("runuser") is None:
                raise PgUnavailable("running as root without runuser")
            shutil.chown(root, "postgres", "postgres")
            os.chmod(root, 0o700)
            # The parent folders must be traversable for the postgres user.
            for parent in Path(tmp).parents:
                if str(parent).startswith("/tmp") and parent != Path("/tmp"):
                    os.chmod(parent, os.stat(parent).st_mode | 0o011)
            os.chmod(tmp, os.stat(tmp).st_mode | 0o011)
        server = cls(root, _free_port(), bin_dir, as_postgres)
        try:
            if not existing:
                server._initdb()
            server._run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-t", "60",
                        "-o", f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                        "start")
            if not existing:
                server.createdb("mage")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            server.stop()
            raise PgUnavailable(f"cannot start PostgreSQL: {detail.strip()[:300]}") from exc
        return server

    def _initdb(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "--pwfile", str(pwfile),
                  "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync")

    def createdb(self, name: str) -> str:
        """Create database ``name`` (loopback, password auth) and return its URL. Copied from
        template0, which no session can hold open (template1 may be, by autovacuum)."""
        # createdb has failed now and then on a loaded CI machine; retry, and say why when it
        # keeps failing (its stderr, not just the exit status).
        for attempt in range(5):
            done = self._run("createdb", "-h", str(self.root), "-p", str(self.port), "-U", "postgres",
                             "-T", "template0", name, check=False)
            if done.returncode == 0:
                return self.url_for(name)
            time.sleep(1 + attempt)
        raise RuntimeError(f"createdb {name} failed: {done.stderr.strip() or done.stdout.strip()}")

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop", check=False)


def _pg_value(kind: str, value):
    """Convert a SQLite cell to what psycopg2 should send for a column of ``kind``."""
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "json":
        return value if isinstance(value, str) else json.dumps(value)
    if kind in ("ts", "ts_default"):
        return f"{value}+00" if isinstance(value, str) else value   # naive UTC text -> timestamptz
    if kind == "blob":
        return bytes(value) if not isinstance(value, bytes) else value
    return value


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(kind: str, value) -> str:
    """One cell in COPY's text format (NULL is \\N; bytea as \\x hex)."""
    value = _pg_value(kind, value)
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    return str(value).translate(_COPY_ESCAPES)


def load_mage_history(url: str, sqlite_path: Path, *, batch: int = 50_000) -> dict[str, int]:
    """Create Mage's Postgres schema at ``url`` and copy all rows from ``sqlite_path`` (COPY,
    in batches, so 10M block runs load in minutes). Returns rows copied per table."""
    import io

    import psycopg2
    from sqlalchemy.engine import make_url

    u = make_url(url)
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    dst = psycopg2.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                           dbname=u.database)
    copied: dict[str, int] = {}
    try:
        with dst, dst.cursor() as cur:
            for statement in ddl("postgresql"):
                cur.execute(statement)
            for table, columns in TABLES.items():
                names = [c for c, _ in columns]
                kinds = [k for _, k in columns]
                rows = src.execute(f'SELECT {", ".join(quote(n) for n in names)} FROM {quote(table)}')
                total = 0
                while chunk := rows.fetchmany(batch):
                    text = "".join("\t".join(_copy_text(k, v) for k, v in zip(kinds, row)) + "\n"
                                   for row in chunk)
                    cur.copy_expert(f'COPY {quote(table)} ({", ".join(quote(n) for n in names)}) '
                                    "FROM STDIN", io.StringIO(text))
                    total += len(chunk)
                copied[table] = total
                if "id" in names and total:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{quote(table)}', 'id'), "
                                f"(SELECT MAX(id) FROM {quote(table)}))")
        dst.autocommit = True
        with dst.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    finally:
        dst.close()
        src.close()
    return copied
