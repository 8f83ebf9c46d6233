"""Warm notebook kernels for the report runner, each used for one notebook only.

Starting a kernel and importing pandas, plotly and auditkit costs more than most section
notebooks do themselves. Kernels are therefore forked from a server process that imported them
once (kernel_fork.py; plain new interpreters that import them where forking is not possible),
each report worker starts its first kernel while the audit is still being computed, and while a
section runs, the next kernel is already starting in the background. A kernel serves exactly one notebook and is then shut down:
clearing the namespace of a shared kernel would leave module state behind (``pd.set_option``,
plotly's default template, a patched auditkit constant), which the next section would see.

Kernels talk over IPC sockets in a private temporary folder rather than TCP on loopback: no
port another local user could reach, and no "running over TCP without encryption" warning.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.utils import run_sync
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from auditkit.report.kernel_fork import PRELOAD, use_forked_kernels

KERNEL_NAME = "python3"

# Imported in each kernel before its notebook runs (a forked kernel has them already; see
# kernel_fork.py); section notebooks then find them in sys.modules.
WARM_IMPORTS = "import " + ", ".join(m for m in PRELOAD if m not in ("__main__", "ipykernel.kernelapp",
                                                                      "auditkit.report.kernel_warmup"))

_MAX_SOCKET_PATH = 100    # sockaddr_un holds 104-108 bytes depending on the OS


def _code_notebook(source: str):
    nb = new_notebook(cells=[new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    return nb


class _Kernel:
    """One started kernel with the libraries imported; ``km`` is handed to papermill."""

    def __init__(self, cwd: str, env: dict[str, str]) -> None:
        self.sockets = tempfile.mkdtemp(prefix="auditkit-kernel-")   # mode 0700
        prefix = os.path.join(self.sockets, "kernel")
        if len(prefix) + 8 <= _MAX_SOCKET_PATH:   # "-<port>" follows the prefix
            self.km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=prefix)
        else:   # a long TMPDIR (macOS): unix socket paths are limited; loopback TCP then
            self.km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        use_forked_kernels(self.km)
        try:
            NotebookClient(_code_notebook(WARM_IMPORTS), km=self.km, kernel_name=KERNEL_NAME,
                           timeout=600, startup_timeout=120).execute(cwd=cwd, env=env)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            if run_sync(self.km.is_alive)():
                run_sync(self.km.shutdown_kernel)(now=True)
        finally:
            shutil.rmtree(self.sockets, ignore_errors=True)


class WarmKernel:
    """The kernels of one report worker: ``ready()`` gives a fresh, warmed-up kernel for each
    notebook and starts the one after it in the background."""

    def __init__(self, cwd: str, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self._current: _Kernel | None = None
        self._spare: Future | None = None
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditkit-kernel")

    @property
    def km(self) -> AsyncKernelManager | None:
        return self._current.km if self._current is not None else None

    def start(self) -> None:
        """Begin starting the first kernel (returns at once; ``ready`` waits for it)."""
        if self._spare is None:
            self._spare = self._starter.submit(_Kernel, self.cwd, self.env)

    def ready(self, more: bool = True) -> AsyncKernelManager:
        """The kernel manager of a kernel no notebook has used yet. The previous notebook's
        kernel is shut down; with ``more`` (another notebook may follow) the next kernel starts
        now, in the background."""
        self._close_current()
        self.start()
        spare, self._spare = self._spare, None
        try:
            self._current = spare.result()
        except Exception:
            # The background start failed (e.g. killed): try once more in this thread, so a
            # failure reaches papermill's caller with its own message.
            self._current = _Kernel(self.cwd, self.env)
        if more:
            self.start()
        return self._current.km

    def _close_current(self) -> None:
        if self._current is not None:
            current, self._current = self._current, None
            current.close()

    def close(self) -> None:
        """Shut down the kernel in use and any kernel still starting."""
        self._close_current()
        spare, self._spare = self._spare, None
        if spare is not None:
            try:
                spare.result().close()
            except Exception:
                pass    # it never started: nothing to shut down
        self._starter.shutdown(wait=True)


def report_kernel_env() -> dict[str, str]:
    """The environment of report kernels: figures render for the shared offline plotly.js."""
    return {**os.environ, "AUDITKIT_REPORT": "1"}
