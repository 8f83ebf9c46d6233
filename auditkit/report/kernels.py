"""Warm, reusable notebook kernels for the report runner.

Starting a kernel and importing pandas, plotly and auditkit costs more than most section
notebooks do themselves. Each report worker therefore starts one kernel (while the audit is
still being computed), imports the libraries once, and then runs its share of the section
notebooks in that kernel, clearing the user namespace between notebooks so each notebook still
starts from nothing but its parameters.

Kernels talk over IPC sockets in a private temporary folder rather than TCP on loopback: no
port another local user could reach, and no "running over TCP without encryption" warning.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.utils import run_sync
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

KERNEL_NAME = "python3"

# Imported once per kernel; section notebooks then find them in sys.modules.
WARM_IMPORTS = """\
import pandas, plotly.express, plotly.graph_objects
import auditkit, auditkit.plots
import auditkit.analytics.blocks, auditkit.analytics.runs, auditkit.analytics.concurrency
import auditkit.analytics.retries, auditkit.analytics.backfills
import auditkit.plots.blocks, auditkit.plots.findings, auditkit.plots.pipelines
import auditkit.plots.history, auditkit.plots.security, auditkit.plots.deployment
import auditkit.readers.history, auditkit.report.trend
"""

_MAX_SOCKET_PATH = 100    # sockaddr_un holds 104-108 bytes depending on the OS

RESET = "get_ipython().run_line_magic('reset', '-f')"


def _code_notebook(source: str):
    nb = new_notebook(cells=[new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    return nb


class WarmKernel:
    """One long-lived kernel; ``km`` is handed to papermill for each notebook it runs."""

    def __init__(self, cwd: str, env: dict[str, str]) -> None:
        self.cwd, self.env = cwd, env
        self.km: AsyncKernelManager | None = None
        self.sockets: str | None = None
        self.fresh = False      # started and warmed, no notebook run in it yet

    def _run(self, source: str, **start_kwargs) -> None:
        NotebookClient(_code_notebook(source), km=self.km, kernel_name=KERNEL_NAME,
                       timeout=600, startup_timeout=120).execute(**start_kwargs)

    def start(self) -> None:
        """Start the kernel and import the libraries (nothing when it is already running)."""
        if self.km is not None and not run_sync(self.km.is_alive)():
            self.close()                  # a notebook killed it: start over
        if self.km is None:
            self.sockets = tempfile.mkdtemp(prefix="auditkit-kernel-")   # mode 0700
            prefix = os.path.join(self.sockets, "kernel")
            if len(prefix) + 8 <= _MAX_SOCKET_PATH:   # "-<port>" follows the prefix
                self.km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=prefix)
            else:   # a long TMPDIR (macOS): unix socket paths are limited; loopback TCP then
                self.km = AsyncKernelManager(kernel_name=KERNEL_NAME)
            self._run(WARM_IMPORTS, cwd=self.cwd, env=self.env)
            self.fresh = True

    def ready(self) -> AsyncKernelManager:
        """The kernel manager of a live, warmed-up kernel with an empty namespace, for one notebook."""
        self.start()
        if not self.fresh:
            self._reset()
        self.fresh = False
        return self.km

    def _reset(self) -> None:
        """Clear the user namespace over the shell channel alone: a full notebook client (all
        channels, kernel_info handshake) for one line cost ~0.3 s a section."""
        client = BlockingKernelClient()
        client.load_connection_info(self.km.get_connection_info())
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            msg_id = client.execute(RESET, silent=True, store_history=False)
            while True:
                reply = client.get_shell_msg(timeout=120)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"].get("status") != "ok":
                raise RuntimeError(f"kernel reset failed: {reply['content'].get('ename')}")
        finally:
            client.stop_channels()

    def close(self) -> None:
        if self.km is None:
            return
        try:
            if run_sync(self.km.is_alive)():
                run_sync(self.km.shutdown_kernel)(now=True)
        finally:
            self.km = None
            if self.sockets:
                shutil.rmtree(self.sockets, ignore_errors=True)
                self.sockets = None


def report_kernel_env() -> dict[str, str]:
    """The environment of report kernels: figures render for the shared offline plotly.js."""
    return {**os.environ, "AUDITKIT_REPORT": "1"}
