"""Benchmark: every history analytic of notebooks 30-60 on SQLite and PostgreSQL, next to a naive
``pandas.read_sql``, on generated histories of 2M, 5M and 10M block runs (issue 20).

Per size, in the same run, each in its own child process (so each peak RSS and CPU time is its
own):

* ``sqlite``: every history analytic (timed one by one) on the generated ``mage-ai.db``;
* ``postgres``: the same on a copy of it in PostgreSQL, through a byte-counting TCP proxy, so
  the bytes each way on the wire are measured too;
* ``naive``: ``pandas.read_sql`` of block_run and pipeline_run (SQLite, and Postgres through
  the proxy), the approach the readers avoid;
* with ``--baseline REV``: the analytics of an older revision (exported with ``git archive``
  into ``benchmarks/data/baseline-REV``) on both databases, for a same-run comparison.

The histories are generated once with the demo generator (``--scale`` per size, fan-out 8) and
kept under ``benchmarks/data/<size>/`` (git-ignored). Without ``--pg-url`` a PostgreSQL cluster
is started from the Debian binaries under ``benchmarks/data/pgbench`` (loopback only) and each
history is copied into its own database once; ``--pg-url`` points at a server holding databases
``h2m``, ``h5m``, ``h10m`` instead. Wall times on a shared machine vary with its load: the
load average is printed, CPU seconds are shown next to wall seconds, and ratios between the
columns come from the same minutes.

    .venv/bin/python benchmarks/bench_history.py [--sizes 2m,5m,10m] [--baseline main]
    .venv/bin/python benchmarks/bench_history.py --sizes tiny      # a 100k-block-run trial
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

from pg_meter import CountingProxy, postmaster_pid, server_cpu_s, through

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
PROJECT = ROOT / "auditkit" / "demo" / "project" / "analytics_hub"
SCALES = {"tiny": 8.0, "2m": 158.0, "5m": 395.0, "10m": 790.0}     # demo scale -> block runs
FANOUT, SEED, DAYS = 8, 7, 120
TARGETS = {"pg_rss_mib": 512, "pg_wire_mib": 0.25 * 803, "pg_wall_s": 39, "sqlite_s": 20, "sqlite_rss_mib": 1024}


# --- data ----------------------------------------------------------------------------------

def generate(size: str) -> Path:
    """The history for ``size`` under benchmarks/data/<size>, generated unless cached."""
    data = DATA / size
    stamp = data / "stamp.json"
    settings = {"scale": SCALES[size], "fanout": FANOUT, "seed": SEED, "days": DAYS}
    db = data / PROJECT.name / "mage-ai.db"
    if db.exists() and stamp.exists():
        cached = json.loads(stamp.read_text())
        if {k: cached.get(k) for k in settings} == settings:
            return data
    from auditkit.demo.history import generate_history
    data.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    generate_history(data, PROJECT, seed=SEED, days=DAYS, scale=SCALES[size], dynamic_fanout=FANOUT,
                     max_log_files=5000)
    stamp.write_text(json.dumps({**settings, "generation_s": round(time.perf_counter() - start, 1)}))
    return data


def postgres_urls(sizes: list[str], url: str | None) -> tuple[dict[str, str], object]:
    """A database URL per size: ``url``'s server, or a cluster kept under benchmarks/data."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pg import PgServer, load_mage_history
    from sqlalchemy.engine import make_url
    if url:
        base = make_url(url)
        return {s: base.set(database=f"h{s}").render_as_string(hide_password=False) for s in sizes}, None
    server = PgServer.start(DATA / "pgbench", keep=True)
    urls = {}
    for size in sizes:
        name, db = f"h{size}", DATA / size / PROJECT.name / "mage-ai.db"
        marker = DATA / "pgbench" / f"{name}.loaded"
        if not marker.exists() or marker.read_text() != str(db.stat().st_mtime):
            server._run("dropdb", "--if-exists", "-h", str(server.root), "-p", str(server.port), "-U", "postgres",
                        name)
            started = time.perf_counter()
            load_mage_history(server.createdb(name), db)
            marker.write_text(str(db.stat().st_mtime))
            print(f"loaded {name} into PostgreSQL in {time.perf_counter() - started:.0f} s", flush=True)
        urls[size] = server.url_for(name)
    return urls, server


# --- children ------------------------------------------------------------------------------

def run_analytics(source: str) -> dict:
    """Child process: every history analytic used by the notebooks, timed one by one.
    ``source``: a Mage data folder, or ``URL|data folder`` (the block logs stay in the folder)."""
    from auditkit.analytics import backfills, concurrency, retries, runs
    from auditkit.analytics.summary import history_summary
    from auditkit.readers.history import open_history

    url, _, folder = source.rpartition("|")
    history = open_history(url or None, mage_data=folder)
    steps = {
        "run_health": lambda: runs.run_health(history),
        "run_outcomes(day)": lambda: runs.run_outcomes(history, "day"),
        "duration_trend(week)": lambda: runs.duration_trend(history, "week"),
        "expected_vs_actual": lambda: runs.expected_vs_actual(history),
        "peaks(pipeline)": lambda: concurrency.observed_peaks(history, "pipeline"),
        "peaks(block)": lambda: concurrency.observed_peaks(history, "block"),
        "concurrency_timeline": lambda: concurrency.concurrency_timeline(history),
        "block_run_stats": lambda: history.block_run_stats(),
        "retry_overview": lambda: retries.retry_overview(history, None),
        "retried_pipeline_runs": lambda: retries.retried_pipeline_runs(history),
        "backfills": lambda: (backfills.backfill_inventory(history), backfills.backfill_gaps(history)),
        "summary": lambda: history_summary(history),
    }
    timings, results = {}, {}
    total = time.perf_counter()
    for name, step in steps.items():
        start = time.perf_counter()
        value = step()
        timings[name] = round(time.perf_counter() - start, 2)
        results[name] = _fingerprint(value)
    import auditkit
    return {"wall_s": round(time.perf_counter() - total, 2), "steps": timings, "results": results,
            "problems": [p.reason for p in history.problems], "code": str(Path(auditkit.__file__).parent)}


def _fingerprint(value) -> str:
    """A short digest of a result, so the columns can be checked to agree."""
    import hashlib

    import pandas as pd
    if isinstance(value, tuple):
        return "+".join(_fingerprint(v) for v in value)
    if isinstance(value, pd.DataFrame):
        frame = value.copy()
        for column in frame.columns:    # SQLite's julianday() keeps milliseconds (backfill durations)
            if frame[column].dtype.kind == "f":
                frame[column] = frame[column].round(2)
            elif frame[column].dtype == object and frame[column].map(lambda v: hasattr(v, "tzinfo")).any():
                frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
            elif str(frame[column].dtype).startswith("datetime64") and frame[column].dt.tz is not None:
                frame[column] = frame[column].dt.tz_convert(None)
        text = frame.sort_values(list(frame.columns)[:3]).astype(str).to_csv(index=False) if len(frame) else ""
        return hashlib.sha256(text.encode()).hexdigest()[:10]
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:10]


def run_naive(source: str) -> dict:
    """Child process: load block_run and pipeline_run whole into pandas."""
    import pandas as pd
    from sqlalchemy import create_engine

    start = time.perf_counter()
    url = source if "://" in source else f"sqlite+pysqlite:///file:{source}?mode=ro&uri=true"
    engine = create_engine(url)
    rows = 0
    for table in ("pipeline_run", "block_run"):
        rows += len(pd.read_sql(f"select * from {table}", engine))
    return {"wall_s": round(time.perf_counter() - start, 2), "rows": rows}


def child(mode: str, target: str, env: dict | None = None, timeout: float = 1800) -> dict:
    """Run ``mode`` in a fresh child process; it reports its own peak RSS and CPU time."""
    try:
        proc = subprocess.run([sys.executable, __file__, "--child", mode, target], capture_output=True, text=True,
                              check=False, env=env, timeout=timeout, cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def baseline_env(rev: str) -> dict:
    """PYTHONPATH pointing at ``rev``'s auditkit, exported once under benchmarks/data."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.strip()
    folder = DATA / f"baseline-{sha}"
    if not (folder / "auditkit").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha, "auditkit"], capture_output=True, check=True, cwd=ROOT)
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return {**os.environ, "PYTHONPATH": str(folder), "AUDITKIT_BENCH_REV": sha}


# --- report --------------------------------------------------------------------------------

def pg_column(mode: str, target: str, proxy: CountingProxy, server: int | None, env: dict | None = None) -> dict:
    """One Postgres column: the child's own figures, bytes on the wire and server CPU."""
    proxy.reset()
    before = server_cpu_s(server)
    result = child(mode, target, env)
    time.sleep(1.0)                                    # the backends exit and are reaped
    after = server_cpu_s(server)
    result.update(wire_down_mib=round(proxy.to_client / 2**20, 1), wire_up_mib=round(proxy.to_server / 2**20, 1),
                  server_cpu_s=round(after - before, 1) if before is not None and after is not None else None)
    return result


def measure_size(size: str, pg_url: str | None, proxy: CountingProxy | None, args) -> dict:
    data = generate(size)
    db = data / PROJECT.name / "mage-ai.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        runs = conn.execute("SELECT COUNT(*) FROM pipeline_run").fetchone()[0]
        blocks = conn.execute("SELECT MAX(id) FROM block_run").fetchone()[0]
    from sqlalchemy.engine import make_url
    server = postmaster_pid(make_url(pg_url).port or 5432) if pg_url else None
    pg = pg_url and proxy
    plan = [("sqlite", lambda: child("analytics", str(data)))]
    if pg:
        plan.append(("postgres", lambda: pg_column("analytics", f"{through(proxy, pg_url)}|{data}", proxy, server)))
    if args.baseline:
        env = baseline_env(args.baseline)
        plan.append(("sqlite (baseline)", lambda: child("analytics", str(data), env)))
        if pg:
            plan.append(("postgres (baseline)", lambda: pg_column(
                "analytics", f"{through(proxy, pg_url)}|{data}", proxy, server, env)))
    if not args.skip_naive:
        plan.append(("naive sqlite", lambda: child("naive", str(db))))
        if pg:
            plan.append(("naive postgres", lambda: pg_column("naive", through(proxy, pg_url), proxy, server)))
    columns = {}
    load = os.getloadavg()[0]
    for name, measure in plan:
        started_load = round(os.getloadavg()[0], 2)
        columns[name] = {**measure(), "load": started_load}
    return {"size": size, "runs": runs, "block_runs": blocks, "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2), "columns": columns}


def print_size(result: dict) -> None:
    columns = result["columns"]
    names = list(columns)
    width = max(14, *(len(n) + 2 for n in names))
    print(f"\n== {result['size']}: {result['runs']:,} pipeline runs, {result['block_runs']:,} block runs "
          f"(load average {result['load_before']} -> {result['load_after']} on {os.cpu_count()} cores)")
    print(f"{'':<24}" + "".join(f"{n:>{width}}" for n in names))
    rows = [("load (1 min) at start", "load"), ("wall s", "wall_s"), ("cpu s", "cpu_s"),
            ("server cpu s", "server_cpu_s"), ("peak RSS MiB", "peak_mib"),
            ("wire to client MiB", "wire_down_mib"), ("wire to server MiB", "wire_up_mib")]
    for label, key in rows:
        print(f"{label:<24}" + "".join(f"{_cell(columns[n].get(key)):>{width}}" for n in names))
    steps = [s for n in names for s in (columns[n].get("steps") or {})]
    for step in dict.fromkeys(steps):
        print(f"  {step:<22}" + "".join(f"{_cell((columns[n].get('steps') or {}).get(step)):>{width}}"
                                        for n in names))
    for name in names:
        if columns[name].get("error"):
            print(f"{name}: error: {columns[name]['error']}")
        if columns[name].get("problems"):
            print(f"{name}: problems: {columns[name]['problems']}")
    # The baseline is not compared: it read SQLite times to the millisecond, not exactly.
    digests = {n: c.get("results") for n, c in columns.items() if c.get("results") and "baseline" not in n}
    reference = digests.get("sqlite")
    for name, results in digests.items():
        differ = sorted(k for k in results if reference and results.get(k) != reference.get(k))
        if differ:
            print(f"{name}: results differ from sqlite in {differ}")


def _cell(value) -> str:
    return "-" if value is None else f"{value:,.1f}" if isinstance(value, float) else str(value)


def targets(results: list[dict]) -> list[str]:
    """The issue's targets that a measured column misses."""
    missed = []
    for result in results:
        size, columns = result["size"], result["columns"]
        pg, lite = columns.get("postgres", {}), columns.get("sqlite", {})
        if (pg.get("peak_mib") or 0) > TARGETS["pg_rss_mib"]:
            missed.append(f"{size}: Postgres client peak {pg['peak_mib']} MiB > {TARGETS['pg_rss_mib']}")
        if size == "10m":
            if (pg.get("wire_down_mib") or 0) + (pg.get("wire_up_mib") or 0) > TARGETS["pg_wire_mib"]:
                missed.append(f"10m: Postgres wire bytes over 25% of 803 MiB")
            if (pg.get("wall_s") or 0) > TARGETS["pg_wall_s"]:
                missed.append(f"10m: Postgres wall {pg.get('wall_s')} s > {TARGETS['pg_wall_s']} s")
            if (lite.get("wall_s") or 0) > TARGETS["sqlite_s"]:
                missed.append(f"10m: SQLite wall {lite.get('wall_s')} s > {TARGETS['sqlite_s']} s")
            if (lite.get("peak_mib") or 0) > TARGETS["sqlite_rss_mib"]:
                missed.append(f"10m: SQLite peak {lite.get('peak_mib')} MiB > {TARGETS['sqlite_rss_mib']}")
    return missed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2m,5m,10m", help=f"comma-separated, of {', '.join(SCALES)}")
    parser.add_argument("--pg-url", help="a server holding databases h<size> (default: start one)")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--baseline", help="also measure this git revision's analytics (e.g. main)")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, target = args.child
        result = run_analytics(target) if mode == "analytics" else run_naive(target)
        # ru_maxrss is in KiB on Linux: the peak resident memory of this process.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_mib"] = round(usage.ru_maxrss / 1024, 1)
        result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
        print(json.dumps(result))
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        generate(size)
    if args.generate_only:
        return 0
    urls, server, proxy = {}, None, None
    if not args.no_postgres:
        urls, server = postgres_urls(sizes, args.pg_url)
    results = []
    try:
        for size in sizes:
            if size in urls:
                from sqlalchemy.engine import make_url
                url = make_url(urls[size])
                proxy = CountingProxy(url.host or "127.0.0.1", url.port or 5432)
            results.append(measure_size(size, urls.get(size), proxy, args))
            print_size(results[-1])
    finally:
        if server is not None:
            server.stop()
    out = DATA.parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"bench_history-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(results, indent=1))
    missed = targets(results)
    print("\ntargets:", "met" if not missed else "NOT met:\n  " + "\n  ".join(missed))
    return 0 if not missed else 1


if __name__ == "__main__":
    sys.exit(main())
