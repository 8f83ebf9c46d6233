"""detect-secrets scanning of many files in worker processes while the caller reads on.

The generic detectors cost ~1 ms a file, two thirds of a big repo's security scan. Workers
receive repo paths (never text), read and decode each file exactly as the caller does, and
send back the rows of :meth:`GenericSecretScanner.scan_text`. Once the caller has read every
file it takes still-queued chunks back and scans them itself, so no core idles at the end.

Small repos, ``workers <= 1`` and machines where processes cannot start scan in-process;
the rows are the same either way, in the order the files were added.
"""
from __future__ import annotations

from auditkit.readers.paths import decode_text, read_limited
from auditkit.readers.security.secrets import GenericSecretScanner
from auditkit.readers.workers import Task, WorkerPool

PARALLEL_MIN_FILES = 2_000   # below this, starting workers costs more than it saves
_CHUNK = 200                 # files a task: small enough to share the tail between processes

_worker_scanner: GenericSecretScanner | None = None


def _scan_paths(jobs: list[tuple[str, str, int]]) -> list[list[dict] | None]:
    """Rows per (rel, path, size) job; None when the file no longer reads as text here."""
    global _worker_scanner
    if _worker_scanner is None:   # one scanner (plugins, settings) for the worker's life
        _worker_scanner = GenericSecretScanner().__enter__()
    out: list[list[dict] | None] = []
    for rel, path, size in jobs:
        data, _skipped = read_limited(path, size)
        out.append(None if data is None else _worker_scanner.scan_text(rel, decode_text(data)[0]))
    return out


class GenericScanPool:
    """Collects files to scan with the generic detectors; :meth:`results` returns their rows.

    ``local`` is the caller's open :class:`GenericSecretScanner`; ``texts`` maps a rel path
    to the text the caller read, used whenever a file is scanned in-process.
    """

    def __init__(self, local: GenericSecretScanner, texts: dict[str, str], n_files: int,
                 workers: int = 2) -> None:
        self.local = local
        self.texts = texts
        self.order: list[str] = []
        self.rows: dict[str, list[dict]] = {}
        self.chunks: list[list[tuple[str, str, int]]] = []
        self.tasks: list[Task] = []
        self.buffer: list[tuple[str, str, int]] = []
        self.workers = WorkerPool(workers, n_files, PARALLEL_MIN_FILES)

    def add(self, rel: str, path: str, size: int) -> None:
        """Queue one file (its text must already be in ``texts``)."""
        self.order.append(rel)
        if self.workers.pool is None:
            self.rows[rel] = self.local.scan_text(rel, self.texts[rel])
            return
        self.buffer.append((rel, path, size))
        if len(self.buffer) >= _CHUNK:
            self._submit()

    def _submit(self) -> None:
        chunk, self.buffer = self.buffer, []
        self.chunks.append(chunk)
        self.tasks.append(self.workers.submit(_scan_paths, chunk))

    def results(self) -> list[tuple[str, list[dict]]]:
        """(rel, rows) per added file, in the order added."""
        try:
            if self.buffer:
                self._submit()
            # Take back, newest first, the chunks no worker has started; the workers work
            # from the oldest, so both ends meet in the middle.
            for index in reversed(range(len(self.chunks))):
                if self.tasks[index].cancel():
                    self._scan_here(self.chunks[index])
            for chunk, task in zip(self.chunks, self.tasks):
                if chunk[0][0] in self.rows:
                    continue
                found = task.result()     # a worker that died: scanned here from the file
                for (rel, _path, _size), rows in zip(chunk, found):
                    self.rows[rel] = rows if rows is not None else self.local.scan_text(rel, self.texts[rel])
        finally:
            self.close()
        return [(rel, self.rows[rel]) for rel in self.order]

    def _scan_here(self, chunk: list[tuple[str, str, int]]) -> None:
        for rel, _path, _size in chunk:
            self.rows[rel] = self.local.scan_text(rel, self.texts[rel])

    def close(self) -> None:
        """Stop the workers (idempotent); queued work is cancelled."""
        self.workers.close()
