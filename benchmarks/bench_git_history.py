"""The git-history secret scan on a generated repository of 5,000 commits.

Generates (once, with ``git fast-import``) a Mage project whose history has ``--commits``
commits, each changing two or three of 200 block files; every 250th commit plants a secret in
a block and the next commit removes it again. Then times :func:`auditkit.readers.security.history.scan_history`
for the default window (the newest 500 commits) and for the whole history, and checks that
each planted secret inside the window is reported exactly once, at the commit that added it.

    .venv/bin/python benchmarks/bench_git_history.py [--commits 5000] [--dest benchmarks/data/history_5000]
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditkit.model import short_hash  # noqa: E402
from auditkit.readers.security.history import scan_history  # noqa: E402
from auditkit.readers.security.secrets import GenericSecretScanner  # noqa: E402

BLOCK = ("from mage_ai.data_preparation.decorators import data_loader\nimport pandas as pd\n\n\n"
         "@data_loader\ndef load_{n}(*args, **kwargs):\n    rows = {rows}\n{extra}    return pd.DataFrame(rows)\n")
PLANT_EVERY = 250


def secret_for(commit: int) -> str:
    rng = random.Random(commit)
    return "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24))


def generate(dest: Path, commits: int, seed: int = 1) -> dict[int, str]:
    """Write the repository; returns commit number -> planted secret."""
    rng = random.Random(seed)
    dest.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    planted: dict[int, str] = {}
    stream = []
    stamp = 1_700_000_000
    mark = 0
    for number in range(1, commits + 1):
        files = {}
        if number == 1:
            files["proj/metadata.yaml"] = "project_type: standalone\n"
        for _ in range(rng.randint(2, 3)):
            block = rng.randrange(200)
            files[f"proj/data_loaders/load_{block:03d}.py"] = BLOCK.format(n=block, rows=rng.randrange(10**6), extra="")
        if number % PLANT_EVERY == 0:
            planted[number] = secret_for(number)
            files[f"proj/data_loaders/load_{number % 200:03d}.py"] = BLOCK.format(
                n=number % 200, rows=number, extra=f'    password = "{planted[number]}"\n')
        elif number % PLANT_EVERY == 1 and number > 1:
            files[f"proj/data_loaders/load_{(number - 1) % 200:03d}.py"] = BLOCK.format(n=(number - 1) % 200, rows=0, extra="")
        mark += 1
        message = f"change {number}"
        stream.append(f"commit refs/heads/main\nmark :{mark}\ncommitter t <t@example.com> {stamp + number * 60} +0000\n"
                      f"data {len(message)}\n{message}\n")
        if number > 1:
            stream.append(f"from :{mark - 1}\n")
        for path, text in files.items():
            data = text.encode()
            stream.append(f"M 100644 inline {path}\ndata {len(data)}\n{text}\n")
    subprocess.run(["git", "-C", str(dest), "fast-import", "--quiet"], input="".join(stream).encode(), check=True)
    subprocess.run(["git", "-C", str(dest), "checkout", "-q", "main"], check=True)
    return planted


def timed_scan(repo: Path, max_commits: int):
    started, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with GenericSecretScanner() as scanner:
        result = scan_history(str(repo), scanner, head_fingerprints=set(), max_commits=max_commits)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    git_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return result, time.perf_counter() - started, time.process_time() - cpu, git_cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--dest", type=Path, default=ROOT / "benchmarks" / "data" / "history_5000")
    args = parser.parse_args(argv)
    if not (args.dest / ".git").is_dir():
        started = time.perf_counter()
        generate(args.dest, args.commits)
        print(f"generated {args.commits} commits in {time.perf_counter() - started:.1f} s", flush=True)
    planted = {n: secret_for(n) for n in range(PLANT_EVERY, args.commits + 1, PLANT_EVERY)}
    results = {}
    for window in (500, args.commits):
        result, wall, cpu, git_cpu = timed_scan(args.dest, window)
        newest = args.commits - window + 1
        expected = {short_hash(v) for n, v in planted.items() if n >= newest}
        found = set(result.secrets["fingerprint"])
        results[window] = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "git_cpu_s": round(git_cpu, 2),
                           "commits": result.commits_scanned, "blobs": result.blobs_scanned,
                           "found": len(found), "expected": len(expected), "missed": len(expected - found),
                           "extra": len(found - expected)}
        print(f"window {window:5d}: {wall:6.2f} s wall, {cpu:6.2f} CPU-s (+{git_cpu:.2f} git), "
              f"{result.commits_scanned} commits, {result.blobs_scanned} blobs, "
              f"{len(found & expected)}/{len(expected)} planted secrets found, {len(found - expected)} others", flush=True)
    print(json.dumps(results))
    return 0 if all(r["missed"] == 0 and r["extra"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
