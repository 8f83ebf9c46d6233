"""The Jupyter kernel ``make setup`` installs: ipykernel's ``python3`` spec run by a local
provisioner that keeps plain ``papermill`` / ``nbconvert --execute`` runs quiet.

Two messages used to reach papermill's stderr from the kernel process, and neither said anything
about the notebook:

* ``Kernel is running over TCP without encryption`` (``ipykernel/kernelapp.py``,
  ``init_sockets``): jupyter_client's KernelManager starts kernels on loopback TCP and provisions
  CurveZMQ keys only when its ``transport_encryption`` setting is ``auto`` or ``required``; the
  default is ``disabled``, and papermill reads no Jupyter config to change it. The provisioner
  asks for ``auto`` on TCP (the spec declares ``supported_encryption: ["curve"]``), so the
  kernel's sockets are encrypted, as the warning itself advises. The report runner's kernels
  already use IPC sockets in a private folder and are left as they are.
* ``KeyboardInterrupt caught in kernel`` (``ipykernel/kernelbase.py``, ``dispatch_shell``):
  jupyter_client's ``shutdown_kernel`` always interrupts the kernel (SIGINT) before it sends
  ``shutdown_request``; when the signal lands while the kernel is still finishing a handler the
  kernel logs that error. ipykernel answers ``shutdown_request`` on its control thread even
  while busy, and a kernel that does not answer is killed after ``shutdown_wait_time``, so the
  provisioner drops SIGINT once the manager is shutting down. Interrupts asked for at any other
  time (JupyterLab's stop button, papermill's execution timeout) are sent as before.

``python -m auditkit.report.kernelspec`` installs the spec into ``sys.prefix`` (the venv).
"""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

KERNEL_NAME = "python3"
PROVISIONER_NAME = "auditkit-local-provisioner"   # entry point in pyproject.toml


class QuietLocalProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner with encrypted TCP sockets and no SIGINT at shutdown."""

    async def pre_launch(self, **kwargs):
        km = self.parent
        if km is not None and km.transport == "tcp" and "transport_encryption" not in kwargs \
                and getattr(km, "transport_encryption", "disabled") == "disabled" and _has_curve():
            kwargs["transport_encryption"] = "auto"
        return await super().pre_launch(**kwargs)

    async def send_signal(self, signum: int) -> None:
        km = self.parent
        if signum == signal.SIGINT and km is not None and getattr(km, "shutting_down", False):
            return      # the shutdown request follows; see the module docstring
        await super().send_signal(signum)


def _has_curve() -> bool:
    import zmq
    return bool(zmq.has("curve"))


def install(prefix: str | None = None) -> Path:
    """Install ipykernel's ``python3`` spec under ``prefix`` (default: this interpreter's) with
    the quiet provisioner; returns the spec folder."""
    from ipykernel.kernelspec import install as install_ipykernel

    folder = Path(install_ipykernel(kernel_name=KERNEL_NAME, prefix=prefix or sys.prefix))
    spec_file = folder / "kernel.json"
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    spec.setdefault("metadata", {})["kernel_provisioner"] = {"provisioner_name": PROVISIONER_NAME, "config": {}}
    spec_file.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(install())
