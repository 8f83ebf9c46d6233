"""Scale benchmark: ``auditkit check`` on a 2,000-pipeline / 40,000-block-file synthetic repo,
measured in the same run as a floor that only reads every file and parses every YAML.

Steps (each in its own child process, so wall time and peak RSS belong to that step alone):

1. generate the synthetic repo once (cached in ``benchmarks/data/``, keyed by its size and seed);
2. the floor, twice (the first run warms the page cache; the second is the one compared):
   ``os.walk`` + read every file + ``yaml.load(CSafeLoader)`` every ``.yaml``;
3. ``auditkit check REPO --format json --out ...``;
4. with ``--report``: ``auditkit report REPO`` once, then every plotly figure in the exported
   HTML is inspected for traces that draw one bar or point per block (unreadable at this size),
   and with ``--screenshot`` one page is captured with headless Chromium.

Targets (issue 7): check under 60 s and 2 GiB peak RSS, at most 3x the floor. Results go to
``benchmarks/results/bench_check-<time>.json`` and are printed. ``--profile`` also runs check
under cProfile and prints the top functions by cumulative time.

    .venv/bin/python benchmarks/bench_check.py [--pipelines 2000 --block-files 40000] [--report]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
TARGET_SECONDS, TARGET_RSS_MB, TARGET_RATIO = 60.0, 2048.0, 3.0
CROWDED_TRACE = 60          # a bar trace with more categories than this is one-bar-per-thing

FLOOR_SCRIPT = """
import os, sys, yaml
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
files = yamls = size = 0
for folder, dirs, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            data = handle.read()
        files += 1
        size += len(data)
        if name.endswith((".yaml", ".yml")):
            yaml.load(data, Loader=Loader)
            yamls += 1
print(files, yamls, size)
"""


def run_measured(cmd: list[str], *, timeout: float, cwd: Path = ROOT, env: dict | None = None) -> dict:
    """Run ``cmd``: wall seconds, exit code and output tails (peak RSS comes from :func:`timed`)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        return {"seconds": None, "peak_rss_mb": None, "returncode": "timeout", "stderr": stderr[-2000:]}
    wall = time.perf_counter() - started
    return {"seconds": round(wall, 2), "returncode": proc.returncode, "stdout": stdout[-2000:],
            "stderr": stderr[-4000:]}


def timed(cmd: list[str], *, timeout: float, env: dict | None = None) -> dict:
    """:func:`run_measured` through GNU time for the command's own peak RSS. (getrusage's
    RUSAGE_CHILDREN keeps the largest child seen so far, which would mix the steps up.)"""
    gnu_time = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if gnu_time is None:
        result = run_measured(cmd, timeout=timeout, env=env)
        result["peak_rss_mb"] = None
        return result
    result = run_measured([gnu_time, "-f", "AUDITKIT_MAXRSS_KB=%M CPU_S=%U+%S", *cmd], timeout=timeout, env=env)
    match = re.search(r"AUDITKIT_MAXRSS_KB=(\d+) CPU_S=([\d.]+)\+([\d.]+)", result.get("stderr") or "")
    result["peak_rss_mb"] = round(int(match.group(1)) / 1024, 1) if match else None
    # CPU seconds of the command and its workers: steadier than wall time on a shared machine.
    result["cpu_s"] = round(float(match.group(2)) + float(match.group(3)), 1) if match else None
    if match:
        result["stderr"] = result["stderr"].replace(match.group(0), "").strip()
    return result


def ensure_repo(pipelines: int, block_files: int, seed: int) -> tuple[Path, dict]:
    """The cached synthetic repo (generated when missing) and its manifest."""
    name = f"synthetic_p{pipelines}_f{block_files}_s{seed}"
    repo, manifest = DATA / name, DATA / f"{name}.json"
    if manifest.exists() and repo.is_dir():
        return repo, json.loads(manifest.read_text())
    if repo.exists():
        shutil.rmtree(repo)   # a half-written earlier attempt (no manifest): our own cache folder
    DATA.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    from make_synthetic_repo import make_synthetic_repo

    made = make_synthetic_repo(repo, pipelines=pipelines, block_files=block_files, seed=seed)
    counts = made.counts()
    manifest.write_text(json.dumps(counts, indent=2))   # written last: marks the cache complete
    return repo, counts


def auditkit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "auditkit.cli", *args]


def crowded_traces(report_dir: Path) -> list[dict]:
    """Plotly traces in the exported HTML that draw more than CROWDED_TRACE bars/categories."""
    found = []
    decoder = json.JSONDecoder()
    for page in sorted(report_dir.glob("*.html")):
        text = page.read_text(errors="replace")
        for match in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]*\",\s*", text):
            try:
                traces, _ = decoder.raw_decode(text, match.end())
            except ValueError:
                continue
            for trace in traces if isinstance(traces, list) else []:
                kind = trace.get("type", "scatter")
                if kind not in ("bar", "box", "violin", "heatmap"):
                    continue
                # The category axis: y for horizontal bars/boxes, else x. A box over 2,000 values
                # in one category is an aggregate; 2,000 distinct categories is one per thing.
                axis = trace.get("y") if trace.get("orientation") == "h" else trace.get("x")
                n = _categories(axis)
                if n > CROWDED_TRACE:
                    found.append({"page": page.name, "type": kind, "name": trace.get("name"), "categories": n})
    return found


def _categories(value) -> int:
    """Distinct values on a category axis (plotly typed arrays are numeric: count their length)."""
    if isinstance(value, list):
        return len({json.dumps(v) for v in value})
    if isinstance(value, dict) and "shape" in value:   # plotly typed arrays: {"dtype", "bdata", "shape"}
        return int(str(value["shape"]).split(",")[0])
    return 0


def figure_count(report_dir: Path) -> dict[str, int]:
    return {p.name: len(re.findall(r"Plotly\.newPlot\(", p.read_text(errors="replace")))
            for p in sorted(report_dir.glob("*.html"))}


def screenshot(page: Path, dest: Path) -> str | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1400,4000", "--virtual-time-budget=15000",
                    f"--screenshot={dest}", page.as_uri()], capture_output=True, timeout=180)
    return str(dest) if dest.exists() else None


def profile_check(repo: Path, out: Path, top: int = 30) -> str:
    """cProfile of one check run; the top functions by cumulative time, as text."""
    stats_file = out / "check.prof"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats_file), "-m", "auditkit.cli", "check",
                    str(repo), "--format", "json", "--out", str(out / "profiled")], cwd=str(ROOT),
                   capture_output=True, timeout=3600)
    import io
    import pstats

    buffer = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=buffer)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="auditkit check at scale, against a read+parse floor")
    parser.add_argument("--pipelines", type=int, default=2000)
    parser.add_argument("--block-files", type=int, default=40000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per measured step")
    parser.add_argument("--report", action="store_true", help="also run the full report once and inspect its plots")
    parser.add_argument("--screenshot", action="store_true", help="with --report: capture one page with Chromium")
    parser.add_argument("--profile", action="store_true", help="also profile check with cProfile")
    args = parser.parse_args(argv)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"bench_check-{stamp}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    repo, manifest = ensure_repo(args.pipelines, args.block_files, args.seed)
    result: dict = {"repo": str(repo), "manifest": manifest, "generate_or_cache_s": round(time.perf_counter() - started, 2),
                    "cpus": os.cpu_count()}
    floor_cmd = [sys.executable, "-c", FLOOR_SCRIPT, str(repo)]
    result["floor_cold"] = timed(floor_cmd, timeout=args.timeout)
    result["floor"] = timed(floor_cmd, timeout=args.timeout)
    check_cmd = auditkit_cmd("check", str(repo), "--format", "json", "--out", str(out / "check"))
    # Cold: no per-file cache at all (the headline). Then a fresh cache is filled by one run
    # and used by the next (a scheduled audit of a mostly unchanged repo).
    result["check"] = timed(check_cmd, timeout=args.timeout, env={**os.environ, "AUDITKIT_CACHE_DIR": "off"})
    cache_env = {**os.environ, "AUDITKIT_CACHE_DIR": str(out / "cache")}
    result["check_cache_fill"] = timed(check_cmd, timeout=args.timeout, env=cache_env)
    result["check_warm"] = timed(check_cmd, timeout=args.timeout, env=cache_env)
    cache_file = next((out / "cache").glob("*.sqlite"), None)
    result["cache_mb"] = round(cache_file.stat().st_size / 2**20, 1) if cache_file else None
    floor_s, check_s = result["floor"]["seconds"], result["check"]["seconds"]
    warm_s = result["check_warm"]["seconds"]
    result["ratio"] = round(check_s / floor_s, 2) if floor_s and check_s else None
    result["ratio_warm"] = round(warm_s / floor_s, 2) if floor_s and warm_s else None
    result["targets"] = {
        "check_under_60s": check_s is not None and check_s < TARGET_SECONDS,
        "check_under_2GiB": max(result[k]["peak_rss_mb"] or 0 for k in ("check", "check_cache_fill", "check_warm"))
        < TARGET_RSS_MB,
        "ratio_at_most_3x": result["ratio"] is not None and result["ratio"] <= TARGET_RATIO,
        "warm_ratio_at_most_3x": result["ratio_warm"] is not None and result["ratio_warm"] <= TARGET_RATIO,
    }
    findings = out / "check" / "findings.json"
    if findings.exists():
        data = json.loads(findings.read_text())
        result["check_findings"] = len(data.get("findings", data)) if isinstance(data, (dict, list)) else None
    if args.report:
        report_dir = out / "report"
        result["report"] = timed(auditkit_cmd("report", str(repo), "--out", str(report_dir), "--jobs", "2"),
                                 timeout=args.timeout * 2)
        result["report"]["pages"] = figure_count(report_dir)
        result["report"]["crowded_traces"] = crowded_traces(report_dir)
        summary = report_dir / "summary.json"
        if summary.exists():
            result["report"]["timings_s"] = json.loads(summary.read_text()).get("timings_s")
        if args.screenshot:
            page = next((p for p in sorted(report_dir.glob("*.html")) if p.name != "index.html"), None)
            result["report"]["screenshot"] = screenshot(page, out / "page.png") if page else None
    if args.profile:
        (out / "profile.txt").write_text(profile_check(repo, out))
        result["profile"] = str(out / "profile.txt")
    (out / "result.json").write_text(json.dumps(result, indent=2, default=str))
    shown = {k: ({kk: vv for kk, vv in v.items() if kk not in ("stdout", "stderr")} if isinstance(v, dict) else v)
             for k, v in result.items() if k != "manifest"}
    print(json.dumps(shown, indent=2, default=str))
    print(f"\nresults: {out / 'result.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
