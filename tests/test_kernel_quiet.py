"""Plain papermill runs of our kernel are quiet: no "running over TCP without encryption" warning
(the kernel's TCP sockets get CurveZMQ keys) and no "KeyboardInterrupt caught in kernel" at
shutdown (no SIGINT once the manager shuts the kernel down); interrupts at other times still work.
See auditkit/report/kernelspec.py."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel
from nbformat.v4 import new_code_cell, new_notebook

from auditkit.report.kernelspec import KERNEL_NAME, PROVISIONER_NAME

# The cell makes the kernel record any SIGINT that reaches it once the cell is done (ipykernel
# restores ``saved_sigint_handler`` after each request), so a shutdown interrupt leaves a mark
# whether or not it happens to land in a handler and print "KeyboardInterrupt caught in kernel".
RECORD_SIGINT = '''import os
marker = os.environ["AUDITKIT_TEST_SIGINT_MARKER"]

def record(signum, frame):
    with open(marker, "a") as out:
        out.write("SIGINT\\n")

get_ipython().kernel.saved_sigint_handler = record
print("ready")'''


def test_the_installed_kernelspec_uses_the_quiet_provisioner():
    spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME, \
        "the python3 kernelspec was installed without auditkit's provisioner: run `make setup`"
    assert "curve" in spec.metadata["supported_encryption"]


def test_plain_papermill_run_prints_neither_message(tmp_path):
    nb = new_notebook(cells=[new_code_cell(RECORD_SIGINT), new_code_cell("import pandas as pd\npd.DataFrame({'a': [1]})")])
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "in.ipynb")
    marker = tmp_path / "sigint"
    env = {**os.environ, "AUDITKIT_TEST_SIGINT_MARKER": str(marker)}
    done = subprocess.run([sys.executable, "-m", "papermill", "in.ipynb", "out.ipynb"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stderr
    assert "KeyboardInterrupt" not in done.stderr
    assert not marker.exists(), "the kernel was sent SIGINT while it was shut down"
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[0].outputs[0]["text"].strip() == "ready"


def test_an_interrupt_still_stops_a_busy_kernel_and_the_sockets_are_encrypted():
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME)
    try:
        assert km.get_connection_info().get("curve_publickey")
        msg_id = kc.execute("import time\ntime.sleep(60)")
        time.sleep(1.0)
        started = time.monotonic()
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=30)
        while reply["parent_header"].get("msg_id") != msg_id:      # e.g. a late kernel_info reply
            reply = kc.get_shell_msg(timeout=30)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        assert time.monotonic() - started < 30
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
