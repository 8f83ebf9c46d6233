"""Run history from a live Mage server's REST API, opened like any Mage DB.

:func:`connect_api` reads the server (read-only: GET, plus one sign-in POST with
``MAGE_EMAIL``/``MAGE_PASSWORD``) into a private temporary SQLite file in Mage's own schema
with a temporary block-log folder, then opens that file through :func:`source.connect`; so the
:class:`History` on top of it, every analytic, rule and notebook, work unchanged. The temporary
folder is removed by ``History.close()`` or, at the latest, when the process exits.
Credentials come from the environment only (see :mod:`.client`).
"""
from __future__ import annotations

import os
import weakref
from pathlib import Path

from auditkit.model import InputProblem

from ..source import Connection, connect
from .client import ApiError, Credentials, MageClient, display_url
from .mirror import MIRROR_PREFIX, Mirror
from .reader import DEFAULT_LOG_REQUESTS, KIND, LOG_REQUESTS_ENV, ApiRead, read_into
from .walk import DEFAULT_PAGE_SIZE


def connect_api(url: str, *, since=None, until=None, page_size: int = DEFAULT_PAGE_SIZE,
                log_requests: int | None = None, timeout_s: float = 60.0,
                credentials: Credentials | None = None, progress: bool | None = None,
                retries: int = 4, backoff_s: float = 0.5, reuse_mirror: str | None = None) -> Connection:
    """Read the Mage server at ``url`` into a temporary mirror and open it read-only.

    ``since``/``until`` (dates, ISO strings, or a span such as ``"90d"`` for ``since``) are
    pushed into the run requests; ``log_requests`` bounds the block-log requests (20 files
    each; default ``$AUDITKIT_API_LOG_REQUESTS`` or 50). Never raises for a bad server, URL or credentials: the Connection then has no
    engine and its ``problems`` say why, with the URL (without credentials) as path.
    ``reuse_mirror`` is the ``mirror`` of an earlier Connection of this process family (the report's
    notebooks reopen the audit's history): while that file exists it is opened without a request.
    """
    label = display_url(url)
    if reuse_mirror is not None:
        reused = _reopen_mirror(reuse_mirror, label)
        if reused is not None:
            return reused
    if log_requests is None:
        log_requests = _env_int(LOG_REQUESTS_ENV, DEFAULT_LOG_REQUESTS)
    client = MageClient(url, credentials, timeout_s=timeout_s, retries=retries, backoff_s=backoff_s)
    mirror = None
    try:
        mirror = Mirror()
        read = read_into(mirror, client, since=since, until=until, page_size=page_size,
                         log_requests=log_requests, progress=progress)
        mirror.finish()
    except ApiError as exc:
        if mirror is not None:
            mirror.remove()
        return Connection(None, label, None, problems=[InputProblem(label, KIND, f"Mage API not read: {exc}")])
    except (OSError, ValueError) as exc:     # temp folder, disk full, malformed record
        if mirror is not None:
            mirror.remove()
        return Connection(None, label, None, problems=[InputProblem(
            label, KIND, f"Mage API not read: {type(exc).__name__}")])
    finally:
        client.close()
    conn = connect(str(mirror.db_path))
    conn.label = label
    conn.problems = [InputProblem(label, p.kind, p.reason) for p in conn.problems] + read.problems
    conn.log_root = mirror.log_root
    conn.api_read = read
    conn.api_requests = dict(client.requests_sent)
    conn.cleanup = weakref.finalize(conn, mirror.remove)
    conn.mirror = str(mirror.db_path)
    return conn


def _reopen_mirror(path: str, label: str) -> Connection | None:
    """An existing mirror made by :func:`connect_api`, opened read-only (its owner removes it)."""
    db = Path(path)
    if not (db.name == "mage-ai.db" and db.parent.name.startswith(MIRROR_PREFIX) and db.is_file()):
        return None
    conn = connect(str(db))
    if conn.engine is None:
        return None
    conn.label = label
    conn.log_root = db.parent / "pipelines"
    conn.mirror = str(db)              # no cleanup: the process that made it removes it
    return conn


def _env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


__all__ = ["ApiError", "ApiRead", "Credentials", "MageClient", "connect_api", "display_url"]
