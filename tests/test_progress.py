"""Progress bars of the CLI: drawn on a terminal for big stages, never in logs or for small repos."""
from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

from auditkit.outputs.progress import MIN_ITEMS, ProgressBars

ROOT = Path(__file__).resolve().parents[1]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bars_draw_on_a_terminal_and_end_at_the_total():
    stream = _Terminal()
    with ProgressBars(stream) as progress:
        for done in range(0, MIN_ITEMS * 2 + 1, 50):
            progress("block files", done, MIN_ITEMS * 2)
        bar = progress.bars["block files"]
        assert bar.n == MIN_ITEMS * 2 and bar.total == MIN_ITEMS * 2
    assert "reading block files" in stream.getvalue()
    assert progress.bars == {}


def test_no_bars_in_a_log_or_for_small_stages():
    log = io.StringIO()                      # not a terminal: cron and CI logs
    with ProgressBars(log) as progress:
        progress("block files", 10, MIN_ITEMS * 10)
    assert log.getvalue() == ""
    terminal = _Terminal()
    with ProgressBars(terminal) as progress:
        progress("pipelines", 3, MIN_ITEMS - 1)   # a small repo reads in a moment
    assert terminal.getvalue() == ""


def _synthetic_repo(tmp_path: Path) -> Path:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_synthetic_repo", ROOT / "benchmarks" / "make_synthetic_repo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_synthetic_repo"] = module
    spec.loader.exec_module(module)
    repo = tmp_path / "repo"
    module.make_synthetic_repo(repo, pipelines=20, block_files=MIN_ITEMS + 50, seed=3)
    return repo


def test_check_draws_bars_on_a_terminal_but_not_into_a_pipe(tmp_path):
    repo = _synthetic_repo(tmp_path)
    command = [sys.executable, "-m", "auditkit.cli", "check", str(repo), "--format", "json", "--out", str(tmp_path / "o")]
    env = {**os.environ, "AUDITKIT_CACHE_DIR": "off"}
    piped = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert piped.returncode == 0, piped.stderr
    assert "reading block files" not in piped.stderr
    leader, follower = pty.openpty()
    # A terminal 100 columns wide (a fresh pty has 0 columns, and tqdm draws nothing in 0).
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    try:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=follower, env=env, cwd=ROOT, timeout=600)
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    text = output.decode("utf-8", "replace")
    assert "reading block files" in text and f"/{MIN_ITEMS + 50}" in text
