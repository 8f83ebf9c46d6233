"""Benchmark: `auditkit demo` against papermill + nbconvert on the same number of trivial notebooks.

Both sides run in this one process invocation, one after the other, with the same parallelism
(``--jobs``), so the ratio is taken under the same machine load. Also reports the size of the
report set on disk.

    .venv/bin/python benchmarks/bench_report.py [--jobs 2] [--repeat 1]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditkit.report.notebooks import available_sections  # noqa: E402


def trivial_notebook(path: Path) -> None:
    nb = new_notebook()
    params = new_code_cell('x: int = 1  # a parameter')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# Trivial"), params, new_code_cell("y = x + 1\ny")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


TRIVIAL_SCRIPT = """
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import papermill as pm
from nbconvert import HTMLExporter

work, count, jobs = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def one(i):
    out = work / f"t{i}.ipynb"
    pm.execute_notebook(str(work / "trivial.ipynb"), str(out), parameters={"x": i},
                        kernel_name="python3", progress_bar=False)
    body, _ = HTMLExporter(exclude_input=True).from_filename(str(out))
    (work / f"t{i}.html").write_text(body)

with ThreadPoolExecutor(max_workers=jobs) as pool:
    list(pool.map(one, range(count)))
"""


def run_trivial(count: int, jobs: int, work: Path) -> float:
    """Plain papermill + nbconvert on ``count`` trivial notebooks, ``jobs`` at a time, as its own
    process (so interpreter start-up and imports count on both sides)."""
    trivial_notebook(work / "trivial.ipynb")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", TRIVIAL_SCRIPT, str(work), str(count), str(jobs)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_demo(jobs: int, out: Path) -> float:
    started = time.perf_counter()
    # No per-file cache: every run measures the demo repo from scratch.
    subprocess.run([str(ROOT / ".venv" / "bin" / "auditkit"), "demo", "--out", str(out), "--jobs", str(jobs)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "AUDITKIT_CACHE_DIR": "off"})
    return time.perf_counter() - started


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    count = len(available_sections())
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Warm-up: builds the cached demo workspace and warms the OS file cache for both sides.
        run_demo(args.jobs, tmp / "warm")
        rows = []
        for i in range(args.repeat):
            work = tmp / f"trivial{i}"
            work.mkdir()
            t_trivial = run_trivial(count, args.jobs, work)
            out = tmp / f"demo{i}"
            t_demo = run_demo(args.jobs, out)
            rows.append((t_trivial, t_demo, folder_size(out)))
            shutil.rmtree(work)
    print(f"sections: {count}, jobs: {args.jobs}")
    print(f"{'run':>3} {'trivial s':>10} {'demo s':>8} {'ratio':>6} {'report MB':>10}")
    for i, (t_trivial, t_demo, size) in enumerate(rows):
        print(f"{i:>3} {t_trivial:>10.1f} {t_demo:>8.1f} {t_demo / t_trivial:>6.2f} {size / 1e6:>10.2f}")


if __name__ == "__main__":
    main()
