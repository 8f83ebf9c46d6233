"""Benchmark: `auditkit demo` against papermill + nbconvert on the same number of trivial
notebooks, and the size budgets of the report.

Both timed sides run in this one process invocation, one after the other, with the same
parallelism (``--jobs``), so the ratio is taken under the same machine load. Each run is
timed in wall seconds and CPU seconds of the whole process tree (on Linux the timing wrapper is
a child subreaper, so the report kernels, which are children of the kernel fork server, are
counted too), with the load average at its start. ``--compare-plain`` also runs the demo with
``AUDITKIT_FORK_KERNELS=0`` (each kernel a new interpreter importing everything, the way before
kernel_fork.py) in every repetition. Budgets checked (exit 1 when one is missed):

* time: the demo report at most 1.5x bare papermill + nbconvert (median over ``--repeat``);
* the demo report set (the whole output folder) at most 8 MB;
* the demo printed to PDF (``auditkit report --pdf``) at most 10 MB (needs Chromium);
* with ``--big-repo DIR`` (e.g. a repo written by make_synthetic_repo.py; it is copied, never
  changed): its report set at most 8 MB. The report set is what a reader opens: the pages,
  ``assets/``, the executed notebooks and summary.json. The machine-readable exports beside it
  (findings.json/.csv/.sarif, the same files as ``auditkit check --out``) and the audit cache
  ``_audit/`` grow with the number of findings and files and are reported apart.

    .venv/bin/python benchmarks/bench_report.py [--jobs 2] [--repeat 3] [--compare-plain] [--big-repo DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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


# Runs a command and prints its wall seconds and the CPU seconds of every process it started,
# including orphans such as the kernel fork server (Linux: PR_SET_CHILD_SUBREAPER).
MEASURE_SCRIPT = """
import ctypes, json, os, resource, subprocess, sys, time
try:
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER
except (AttributeError, OSError):
    pass
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - started
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime}))
"""


def measured(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process tree) of ``cmd``."""
    done = subprocess.run([sys.executable, "-c", MEASURE_SCRIPT, *cmd], check=True, capture_output=True,
                          text=True, env=env)
    figures = json.loads(done.stdout)
    return figures["wall"], figures["cpu"]


def run_trivial(count: int, jobs: int, work: Path) -> tuple[float, float]:
    """Plain papermill + nbconvert on ``count`` trivial notebooks, ``jobs`` at a time, as its own
    process (so interpreter start-up and imports count on both sides)."""
    trivial_notebook(work / "trivial.ipynb")
    return measured([sys.executable, "-c", TRIVIAL_SCRIPT, str(work), str(count), str(jobs)])


def run_demo(jobs: int, out: Path, fork: bool = True) -> tuple[float, float]:
    # No per-file cache: every run measures the demo repo from scratch.
    env = {**os.environ, "AUDITKIT_CACHE_DIR": "off", "AUDITKIT_FORK_KERNELS": "1" if fork else "0"}
    return measured([str(ROOT / ".venv" / "bin" / "auditkit"), "demo", "--out", str(out), "--jobs", str(jobs)], env)


MB = 1000 * 1000
BUDGETS = {"ratio": 1.5, "demo_set": 8 * MB, "demo_pdf": 10 * MB, "big_set": 8 * MB}
EXPORTS = ("findings.json", "findings.csv", "findings.sarif", "report.pdf")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def report_set_size(folder: Path) -> tuple[int, int]:
    """(report set, exports and audit cache) sizes of a report folder."""
    extra = sum(p.stat().st_size for p in folder.rglob("*")
                if p.is_file() and (p.name in EXPORTS and p.parent == folder or "_audit" in p.parts))
    return folder_size(folder) - extra, extra


def demo_pdf(out: Path) -> int | None:
    try:
        from auditkit.report.pdf import PdfError, print_folder
        return print_folder(out, out.parent / "demo.pdf").stat().st_size
    except PdfError as exc:
        print(f"PDF not measured: {exc}")
        return None


def big_report(repo: Path, jobs: int, work: Path) -> tuple[float, int, int]:
    copy = work / "bigrepo"
    shutil.copytree(repo, copy, symlinks=True)
    out = work / "big_report"
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "auditkit"), "report", str(copy), "--out", str(out),
                    "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    report, extra = report_set_size(out)
    return seconds, report, extra


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--big-repo", type=Path, help="also report on this repo (copied) and check its size")
    parser.add_argument("--compare-plain", action="store_true",
                        help="also time the demo with AUDITKIT_FORK_KERNELS=0 in each repetition")
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
            load = os.getloadavg()[0]
            trivial = run_trivial(count, args.jobs, work)
            out = tmp / f"demo{i}"
            demo = run_demo(args.jobs, out)
            plain = run_demo(args.jobs, tmp / f"plain{i}", fork=False) if args.compare_plain else None
            rows.append((load, trivial, demo, plain, folder_size(out)))
            shutil.rmtree(work)
        pdf = demo_pdf(tmp / "demo0")
        big = big_report(args.big_repo, args.jobs, tmp) if args.big_repo else None
    print(f"sections: {count}, jobs: {args.jobs}; wall s / CPU s of the whole process tree")
    print(f"{'run':>3} {'load1':>5} {'trivial':>11} {'demo':>11} {'ratio':>6} {'plain demo':>11} {'ratio':>6} "
          f"{'report MB':>9}")
    for i, (load, trivial, demo, plain, size) in enumerate(rows):
        plain_text = f"{plain[0]:>5.1f}/{plain[1]:>5.1f} {plain[0] / trivial[0]:>6.2f}" if plain else f"{'-':>11} {'-':>6}"
        print(f"{i:>3} {load:>5.2f} {trivial[0]:>5.1f}/{trivial[1]:>5.1f} {demo[0]:>5.1f}/{demo[1]:>5.1f} "
              f"{demo[0] / trivial[0]:>6.2f} {plain_text} {size / 1e6:>9.2f}")
    ratio = statistics.median(d[0] / t[0] for _, t, d, _, _ in rows)
    if args.compare_plain:
        plain_ratio = statistics.median(p[0] / t[0] for _, t, _, p, _ in rows)
        print(f"median ratio: demo {ratio:.2f}, plain demo (AUDITKIT_FORK_KERNELS=0) {plain_ratio:.2f}; "
              f"median CPU s: trivial {statistics.median(t[1] for _, t, *_ in rows):.1f}, "
              f"demo {statistics.median(d[1] for _, _, d, *_ in rows):.1f}, "
              f"plain demo {statistics.median(p[1] for *_, p, _ in rows):.1f}")
    checks = [("demo time / bare papermill+nbconvert (median)", ratio, BUDGETS["ratio"], ""),
              ("demo report set", max(r[-1] for r in rows) / MB, BUDGETS["demo_set"] / MB, "MB")]
    if pdf is not None:
        checks.append(("demo PDF", pdf / MB, BUDGETS["demo_pdf"] / MB, "MB"))
    if big is not None:
        seconds, report, extra = big
        print(f"big repo: report in {seconds:.0f} s; exports and audit cache beside it: {extra / MB:.1f} MB")
        checks.append(("big repo report set", report / MB, BUDGETS["big_set"] / MB, "MB"))
    failed = False
    for name, value, budget, unit in checks:
        ok = value <= budget
        failed |= not ok
        print(f"{'ok  ' if ok else 'OVER'} {name}: {value:.2f}{unit} (budget {budget:g}{unit})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
