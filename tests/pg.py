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
        return f"postgresql+psycopg2://postgres:{PASSWORD}@127.0.0.1:{self.port}/mage"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)

    @classmethod
    def start(cls, tmp: Path) -> "PgServer":
        bin_dir = _bin_dir()
        as_postgres = os.geteuid() == 0
        root = Path(tmp) / "pg"
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
        pwfile = root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        try:
            server._run("initdb", "-D", str(root / "data"), "-U", "postgres", "--pwfile", str(pwfile),
                        "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync")
            server._run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-t", "60",
                        "-o", f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                        "start")
            server._run("createdb", "-h", str(root), "-p", str(server.port), "-U", "postgres", "mage")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            detail = getattr(exc, "stderr", "") or str(exc)
            server.stop()
            raise PgUnavailable(f"cannot start PostgreSQL: {detail.strip()[:300]}") from exc
        return server

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


def load_mage_history(url: str, sqlite_path: Path) -> dict[str, int]:
    """Create Mage's Postgres schema at ``url`` and copy all rows from ``sqlite_path``.
    Returns rows copied per table."""
    import psycopg2
    from psycopg2.extras import execute_values
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
                while batch := rows.fetchmany(20_000):
                    values = [tuple(_pg_value(k, v) for k, v in zip(kinds, row)) for row in batch]
                    execute_values(cur, f'INSERT INTO {quote(table)} ({", ".join(quote(n) for n in names)}) '
                                        f"VALUES %s", values, page_size=5000)
                    total += len(batch)
                copied[table] = total
                if "id" in names and total:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('{quote(table)}', 'id'), "
                                f"(SELECT MAX(id) FROM {quote(table)}))")
            cur.execute("ANALYZE")
    finally:
        dst.close()
        src.close()
    return copied
