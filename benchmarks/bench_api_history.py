"""Benchmark: run history read through Mage's REST API (issue 18), windows against deep offsets.

A recorded-response-style server (tests/mage_api_fake.py: Mage 0.9.80's list semantics, a COUNT
and an ORDER BY ... LIMIT/OFFSET query per page, as PipelineRunResource does, over a Mage-schema
SQLite made by the demo generator) runs in its own process; each reader runs in its own child
process, so its wall time, CPU seconds and peak RSS are its own; the server's CPU seconds are
read from /proc for the same minutes. Readers:

* ``windows``: :func:`connect_api` as shipped (created_at windows, block runs embedded in the
  run pages, block logs for at most 50 requests);
* ``offset``: the same reader with the naive walk (``order_by[]=id asc`` and a growing
  ``_offset``), on the same server in the same run;
* ``per_run``: block runs from ``/api/block_runs?pipeline_run_id=`` (one request per run; server
  started with ``no-embed``), at the smaller size only, to count its requests.

    .venv/bin/python benchmarks/bench_api_history.py [--scale 56.7] [--small-scale 8]
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
DATA = ROOT / "benchmarks" / "data"
PROJECT = ROOT / "auditkit" / "demo" / "project" / "analytics_hub"
FAKE = ROOT / "tests" / "mage_api_fake.py"
SEED, DAYS, FANOUT = 7, 120, 8


def generate(scale: float) -> Path:
    """The generated Mage DB for ``scale`` under benchmarks/data/api-<scale> (cached)."""
    data = DATA / f"api-{scale:g}"
    db = data / PROJECT.name / "mage-ai.db"
    if db.exists() and (data / "stamp.json").exists():
        return db
    from auditkit.demo.history import generate_history
    data.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generate_history(data, PROJECT, seed=SEED, days=DAYS, scale=scale, dynamic_fanout=FANOUT, max_log_files=5000)
    (data / "stamp.json").write_text(json.dumps({"scale": scale, "generation_s": round(time.perf_counter() - started, 1)}))
    return db


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib() -> float:
    """This process's peak RSS from /proc/self/status (VmHWM). Not ru_maxrss: Linux carries the
    forking parent's peak across exec into it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(mode: str, url: str) -> dict:
    """One read in this process (run as a child): figures as a dict."""
    from auditkit.readers.history.api import connect_api
    from auditkit.readers.history.api import reader as api_reader
    from auditkit.readers.history.api.walk import walk_runs_by_offset
    if mode == "offset":
        api_reader.walk_runs = lambda client, **kw: walk_runs_by_offset(
            client, since=kw.get("since"), until=kw.get("until"), page_size=kw["page_size"], stats=kw["stats"])
    started, cpu0 = time.perf_counter(), time.process_time()
    conn = connect_api(url, progress=False, log_requests=0 if mode == "per_run" else 50)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    read = conn.api_read
    out = {"mode": mode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
           "peak_rss_mib": peak_rss_mib(),
           "requests": conn.api_requests, "runs": getattr(read, "runs", 0), "block_runs": getattr(read, "block_runs", 0),
           "run_pages": getattr(getattr(read, "walk", None), "pages", 0), "log_files": getattr(read, "log_files", 0),
           "problems": [p.reason[:120] for p in conn.problems]}
    if conn.cleanup is not None:
        conn.cleanup()
    return out


def measure(mode: str, db: Path, embed: bool = True) -> dict:
    server = subprocess.Popen([sys.executable, str(FAKE), str(db), str(db.parent / "pipelines"),
                               *([] if embed else ["no-embed"])], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        cpu0 = cpu_of(server.pid)
        done = subprocess.run([sys.executable, __file__, "--child", mode, url], capture_output=True, text=True,
                              check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["server_cpu_s"] = round(cpu_of(server.pid) - cpu0, 2)
        result["load_avg"] = round(os.getloadavg()[0], 2)
        return result
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=74.0, help="demo scale of the big history (~100k runs, ~1M block runs)")
    parser.add_argument("--small-scale", type=float, default=8.0, help="demo scale of the small history")
    parser.add_argument("--skip-big-offset", action="store_true")
    parser.add_argument("--big-only", action="store_true", help="measure the big history only")
    parser.add_argument("--modes", default="", help="comma-separated modes to run (default: all)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "URL"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    results = []
    for scale in (args.scale,) if args.big_only else (args.small_scale, args.scale):
        db = generate(scale)
        with sqlite3.connect(db) as conn:
            sizes = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("pipeline_run", "block_run")}
        modes = [("windows", True), ("offset", True)]
        if scale == args.small_scale:
            modes.append(("per_run", False))
        elif args.skip_big_offset:
            modes = modes[:1]
        wanted = set(filter(None, args.modes.split(",")))
        for mode, embed in [m for m in modes if not wanted or m[0] in wanted]:
            row = {"scale": scale, **sizes, **measure(mode, db, embed)}
            print(json.dumps(row), flush=True)
            results.append(row)
    out = DATA / f"api_history_results{'_big' if args.big_only else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
