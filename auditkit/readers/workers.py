"""The one pool of worker processes the readers share for per-file work.

Tasks are plain top-level functions of picklable arguments (paths go out, plain data comes
back). Without a pool (few items, ``workers <= 1``, or a sandbox where processes cannot start)
a task runs in the calling process when its result is asked for; a task whose worker died, or
that was taken back before a worker started it, runs there too. The results are the same
either way.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from typing import Any, Callable


def _worker_init() -> None:
    # Objects inherited from the parent are never garbage here: freeze them so collections
    # do not rescan them, and collect less often (parsing allocates ~5,000 nodes per file
    # and frees them by reference counting; AST trees hold no cycles).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def default_workers() -> int:
    """Processes to use when the caller does not say: the cores, at most four."""
    return min(os.cpu_count() or 1, 4)


class Task:
    """A submitted call: :meth:`result` gives its value, computed here when no worker did."""

    def __init__(self, fn: Callable, args: tuple, future: Future | None) -> None:
        self.fn, self.args, self.future = fn, args, future

    def cancel(self) -> bool:
        """Take the task back if no worker started it (the caller then does the work)."""
        return self.future is None or self.future.cancel()

    def result(self) -> Any:
        if self.future is not None:
            try:
                return self.future.result()
            except (OSError, RuntimeError, CancelledError):   # a worker died, or the task was taken back
                pass
        return self.fn(*self.args)


class WorkerPool:
    """Worker processes for per-file work, or none (see the module docstring).

    ``n_items`` is how much work there is and ``min_items`` the size from which starting
    processes pays; ``workers`` defaults to :func:`default_workers`.
    """

    def __init__(self, workers: int | None, n_items: int, min_items: int) -> None:
        self.count = default_workers() if workers is None else workers
        self.pool: ProcessPoolExecutor | None = None
        if self.count <= 1 or n_items < min_items:
            return
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        try:
            self.pool = ProcessPoolExecutor(max_workers=self.count, mp_context=multiprocessing.get_context(method),
                                            initializer=_worker_init)
        except (OSError, RuntimeError, ValueError):   # no process support (sandbox): work in-process
            self.pool = None

    def chunk_size(self, n_tasks: int, largest: int) -> int:
        """Items per task: all of them without a pool; else small enough to share the tail."""
        if self.pool is None:
            return max(1, n_tasks)
        return max(10, min(largest, n_tasks // (self.count * 8) or 1))

    def submit(self, fn: Callable, *args: Any) -> Task:
        future: Future | None = None
        if self.pool is not None:
            try:
                future = self.pool.submit(fn, *args)
            except (OSError, RuntimeError):   # the pool broke: the rest runs in-process
                self.close()
        return Task(fn, args, future)

    def close(self) -> None:
        """Stop the workers (idempotent); pending work is cancelled (and done in-process if asked for)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
