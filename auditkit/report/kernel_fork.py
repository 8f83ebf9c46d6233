"""Report kernels forked from a process that has already imported pandas, plotly and auditkit.

Every section runs in a kernel process of its own (nothing one section does can reach the
next), but starting Python and importing those libraries costs ~1.5 s of CPU per kernel: on
two cores, ten sections paid more for imports than for their own work. Instead, one server
process imports them once (the standard library's ``multiprocessing`` forkserver with
``set_forkserver_preload``) and each kernel is a fresh ``fork()`` of it that then runs
ipykernel as ``python -m ipykernel_launcher -f CONNECTION_FILE`` would. The server never runs
notebook code, so each kernel starts from the same just-imported state; a kernel that changes
module state, leaks names or crashes does so in its own process only.

:class:`ForkedProvisioner` is a jupyter_client provisioner (the documented way to change how a
kernel process is launched); everything else (connection file, ports or IPC sockets, shutdown,
interrupt) is jupyter_client's ``LocalProvisioner``. The plain launch is used when the platform
has no forkserver, when the kernel spec is not this interpreter's ipykernel, when the running
program's ``__main__`` is not safe to import (:func:`main_module_is_safe`), or with
``AUDITKIT_FORK_KERNELS=0``.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

# Imported once in the fork server; each kernel then finds them in sys.modules. "__main__" is
# the running script (multiprocessing's contract: its top level is guarded), imported in the
# server once instead of in every kernel.
PRELOAD = (
    "__main__",
    "ipykernel.kernelapp", "pandas", "plotly.express", "plotly.graph_objects", "auditkit", "auditkit.plots",
    "auditkit.analytics.blocks", "auditkit.analytics.runs", "auditkit.analytics.concurrency",
    "auditkit.analytics.retries", "auditkit.analytics.backfills", "auditkit.plots.blocks",
    "auditkit.plots.findings", "auditkit.plots.pipelines", "auditkit.plots.history", "auditkit.plots.security",
    "auditkit.plots.deployment", "auditkit.readers.history", "auditkit.report.trend", "auditkit.limits",
    "auditkit.plots.tables", "auditkit.report.section", "auditkit.report.openings", "itables.javascript",
    "IPython.display", "auditkit.datacodec", "auditkit.engine.run", "auditkit.outputs.check", "auditkit.drift.run",
    "auditkit.plots.drift", "sqlalchemy.dialects.sqlite", "pandas.io.formats.html", "auditkit.report.kernel_fork",
    "auditkit.report.kernel_warmup",
)

_CONTEXT_LOCK = threading.Lock()
_context: Any = None


def fork_enabled() -> bool:
    return os.environ.get("AUDITKIT_FORK_KERNELS", "1") != "0" and \
        "forkserver" in multiprocessing.get_all_start_methods() and main_module_is_safe()


def main_module_is_safe() -> bool:
    """Whether the fork server may import the running program's ``__main__`` (multiprocessing
    does, as ``__mp_main__``): when it is a package's ``__main__`` (``python -m pkg``, pytest),
    has no file (``python -c``, a Jupyter kernel) or is an installed console script (``auditkit``:
    its top level only imports, the call is under the ``__main__`` guard). Any other script
    (one that calls the report runner at its top level would run again) gets plain kernels."""
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        return name == "__main__" or name.endswith(".__main__")
    path = getattr(main, "__file__", None)
    if path is None:
        return True
    try:
        return Path(path).resolve().parent == Path(sysconfig.get_path("scripts")).resolve()
    except (OSError, TypeError):
        return False


def _fork_context():
    """The forkserver context, its preload set before the server first starts (once per process)."""
    global _context
    with _CONTEXT_LOCK:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOAD))
            _context = context
        return _context


def ipykernel_arguments(cmd: list[str]) -> list[str] | None:
    """The arguments after ``-m ipykernel_launcher`` when ``cmd`` starts this interpreter's
    ipykernel (interpreter flags such as ``-Xfrozen_modules=off`` may come between), else None."""
    if len(cmd) < 3 or "-m" not in cmd[1:]:
        return None
    at = cmd.index("-m", 1)
    if at + 1 >= len(cmd) or cmd[at + 1] != "ipykernel_launcher" or \
            not all(flag.startswith("-X") for flag in cmd[1:at]):
        return None
    try:
        same = Path(cmd[0]).resolve() == Path(sys.executable).resolve() or os.path.samefile(cmd[0], sys.executable)
    except OSError:
        return None
    return cmd[at + 2:] if same else None


def _run_kernel(arguments: list[str], cwd: str, env: dict[str, str]) -> None:
    """In the forked child: a session of its own (interrupts reach it and its subprocesses), the
    kernel's folder and environment, then ipykernel as ``ipykernel_launcher`` runs it."""
    os.setsid()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    # The kernel exits when its parent, the fork server, does (the server exits with the report).
    # ipykernel read JPY_PARENT_PID when the server imported it, hence the option.
    parent = str(os.getppid())
    os.environ["JPY_PARENT_PID"] = parent
    import ipykernel_launcher
    from ipykernel.kernelapp import IPKernelApp

    sys.argv = [ipykernel_launcher.__file__, *arguments]     # as the launched kernel sees it

    IPKernelApp.launch_instance(argv=[*arguments, f"--IPKernelApp.parent_handle={parent}"])


class ForkedKernelProcess:
    """The ``subprocess.Popen`` calls jupyter_client makes on a kernel process, answered for a
    ``multiprocessing`` child of the fork server."""

    stdin = stdout = stderr = None

    def __init__(self, process) -> None:
        self.process = process
        self.pid = process.pid

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        return self.process.exitcode

    def send_signal(self, signum: int) -> None:
        if self.process.exitcode is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkedProvisioner(LocalProvisioner):
    """``LocalProvisioner`` whose kernel process is forked from the preloaded fork server."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        arguments = ipykernel_arguments(cmd) if fork_enabled() else None
        if arguments is None:
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or Path.cwd())
        env = {str(k): str(v) for k, v in (kwargs.get("env") or os.environ).items()}
        process = _fork_context().Process(target=_run_kernel, args=(arguments, cwd, env),
                                          name="auditkit-kernel")
        process.start()
        self.process = ForkedKernelProcess(process)
        # The child calls setsid() first thing: its process group is its pid. Until then killpg
        # finds no such group and LocalProvisioner signals the pid alone (never the server's group).
        self.pid = self.pgid = process.pid
        self.cwd = cwd
        return self.connection_info


def use_forked_kernels(km) -> None:
    """Make ``km`` (a kernel manager not started yet) launch its kernel with ForkedProvisioner."""
    import uuid

    if km.provisioner is None and fork_enabled():
        km.kernel_id = km.kernel_id or str(uuid.uuid4())
        km.provisioner = ForkedProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
