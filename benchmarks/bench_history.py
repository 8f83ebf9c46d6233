"""Benchmark: history analytics of the four history notebooks on 1M pipeline runs / 10M block runs.

Generates (once, cached under benchmarks/data/) the demo history at benchmark scale, then
measures in separate child processes, so each peak RSS is its own:

* ``analytics``: every history analytic the notebooks 30/40/50/60 call, plus the summary;
* ``naive``: ``pandas.read_sql("select * from block_run", ...)``, the approach we avoid.

Usage: ``python benchmarks/bench_history.py [--scale 790 --fanout 8] [--generate-only]``.
Small trial: ``--scale 5 --data /tmp/bench``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = ROOT / "auditkit" / "demo" / "project" / "analytics_hub"


def generate(data: Path, scale: float, fanout: int) -> Path:
    """Generate the history unless a DB made with the same settings is cached."""
    stamp = data / "stamp.json"
    settings = {"scale": scale, "fanout": fanout, "seed": 7, "days": 120}
    db = data / PROJECT.name / "mage-ai.db"
    if db.exists() and stamp.exists():
        cached = json.loads(stamp.read_text())
        if {k: cached.get(k) for k in settings} == settings:
            return db
    from auditkit.demo.history import generate_history
    data.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    generate_history(data, PROJECT, seed=7, days=120, scale=scale, dynamic_fanout=fanout,
                     max_log_files=5000)
    elapsed = time.perf_counter() - start
    settings["generation_s"] = round(elapsed, 1)
    stamp.write_text(json.dumps(settings))
    print(f"generated {db} in {elapsed:.1f} s")
    return db


def run_analytics(data: str) -> dict:
    """Child process: every history analytic used by the notebooks, timed one by one."""
    from auditkit.analytics import backfills, concurrency, retries, runs
    from auditkit.readers.history import open_history

    history = open_history(mage_data=data)
    steps = {
        "run_health": lambda: runs.run_health(history),
        "run_outcomes(day)": lambda: runs.run_outcomes(history, "day"),
        "duration_trend(week)": lambda: runs.duration_trend(history, "week"),
        "expected_vs_actual": lambda: runs.expected_vs_actual(history),
        "trigger_drift": lambda: runs.trigger_drift(history, None),
        "peaks(pipeline)": lambda: concurrency.observed_peaks(history, "pipeline"),
        "peaks(block)": lambda: concurrency.observed_peaks(history, "block"),
        "concurrency_timeline": lambda: concurrency.concurrency_timeline(history),
        "concurrency_overview": lambda: concurrency.concurrency_overview(history, None),
        "block_run_stats": lambda: history.block_run_stats(),
        "block logs": lambda: history.logs,
        "retry_overview": lambda: retries.retry_overview(history, None),
        "retried_pipeline_runs": lambda: retries.retried_pipeline_runs(history),
        "backfill_inventory": lambda: backfills.backfill_inventory(history),
        "backfill_gaps": lambda: backfills.backfill_gaps(history),
        "summary": lambda: history.summary(),
    }
    timings = {}
    total = time.perf_counter()
    for name, step in steps.items():
        start = time.perf_counter()
        step()
        timings[name] = round(time.perf_counter() - start, 2)
    return {"wall_s": round(time.perf_counter() - total, 2), "steps": timings,
            "problems": [p.reason for p in history.problems]}


def run_naive(db: str) -> dict:
    """Child process: load the whole block_run table into pandas."""
    import pandas as pd
    from sqlalchemy import create_engine

    start = time.perf_counter()
    engine = create_engine(f"sqlite+pysqlite:///file:{db}?mode=ro&uri=true")
    frame = pd.read_sql("select * from block_run", engine)
    return {"wall_s": round(time.perf_counter() - start, 2), "rows": len(frame)}


def measure(mode: str, target: str) -> dict:
    """Run ``mode`` in a fresh child process; the child reports its own peak RSS."""
    proc = subprocess.run([sys.executable, __file__, "--child", mode, target],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1], "peak_mib": None}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=790.0)
    parser.add_argument("--fanout", type=int, default=8)
    parser.add_argument("--data", default=str(ROOT / "benchmarks" / "data"))
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, target = args.child
        result = run_analytics(target) if mode == "analytics" else run_naive(target)
        # ru_maxrss is in KiB on Linux: the peak resident memory of this process. CPU time is
        # reported too: on a shared machine wall time depends on everyone else's load.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_mib"] = round(usage.ru_maxrss / 1024, 1)
        result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
        print(json.dumps(result))
        return 0
    data = Path(args.data)
    db = generate(data, args.scale, args.fanout)
    if args.generate_only:
        return 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        n_runs = conn.execute("SELECT COUNT(*) FROM pipeline_run").fetchone()[0]
        n_blocks = conn.execute("SELECT MAX(id) FROM block_run").fetchone()[0]
    print(f"history: {n_runs:,} pipeline runs, {n_blocks:,} block runs, {db.stat().st_size / 2**30:.2f} GiB")
    load = os.getloadavg()
    analytics = measure("analytics", str(data))
    naive = {"skipped": True} if args.skip_naive else measure("naive", str(db))
    print(f"load average before: {load[0]:.2f} (1 min) on {os.cpu_count()} cores")
    print(f"{'approach':<28}{'wall s':>10}{'cpu s':>10}{'peak MiB':>12}")
    for label, res in (("history analytics (all)", analytics), ("naive read_sql(block_run)", naive)):
        print(f"{label:<28}{res.get('wall_s', '-'):>10}{res.get('cpu_s', '-'):>10}{res.get('peak_mib') or '-':>12}")
    for name, seconds in (analytics.get("steps") or {}).items():
        print(f"  {name:<26}{seconds:>10}")
    if analytics.get("problems"):
        print("problems:", analytics["problems"])
    ok = analytics.get("wall_s", 1e9) < 60 and (analytics.get("peak_mib") or 1e9) < 2048
    print("targets (<60 s, <2 GiB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
