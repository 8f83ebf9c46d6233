"""Measuring a local PostgreSQL server for bench_history.py: the bytes a client moves over the
wire (a counting TCP proxy) and the CPU seconds the server spends (from /proc)."""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path


class CountingProxy:
    """Forwards 127.0.0.1:<port> to the server and counts the bytes each way."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.to_client = self.to_server = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.to_client = self.to_server = 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for src, dst, down in ((client, server, False), (server, client, True)):
                threading.Thread(target=self._pipe, args=(src, dst, down), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, down: bool) -> None:
        try:
            while data := src.recv(1 << 18):
                dst.sendall(data)
                with self._lock:
                    if down:
                        self.to_client += len(data)
                    else:
                        self.to_server += len(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def through(proxy: CountingProxy, url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def postmaster_pid(port: int) -> int | None:
    """The PID of the local PostgreSQL server listening on ``port`` (None: not found here)."""
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if args and Path(args[0].decode(errors="replace")).name == "postgres" and b"-p" in args:
            at = args.index(b"-p")
            if at + 1 < len(args) and args[at + 1] == str(port).encode():
                return int(entry.name)
    return None


def server_cpu_s(pid: int | None) -> float | None:
    """CPU seconds used by a PostgreSQL server: its live processes (postmaster and children)
    plus the children it has reaped (backends of closed connections, parallel workers)."""
    if pid is None:
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(proc: Path) -> list[str]:
        return (proc / "stat").read_text().rsplit(")", 1)[1].split()

    try:
        own = fields(Path(f"/proc/{pid}"))
    except OSError:
        return None
    total = sum(int(v) for v in own[11:15])            # utime, stime, cutime, cstime
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = fields(entry)
            except OSError:
                continue
            if stat[1] == str(pid):                    # ppid
                total += int(stat[11]) + int(stat[12])
    return total / ticks
