"""Copy-paste detection at scale: clustering by window hashes (readers/clones.py) against a naive
pairwise comparison of every two files.

Generates (or reuses) a synthetic repo (see make_synthetic_repo.py, 40,000 block files by
default), computes each file's clone units once (the per-file worker's share, timed on one
process), then times :func:`find_clone_clusters` on all files. The naive comparison (every pair
of files, intersecting their sets of windows) is quadratic, so it runs on ``--naive`` subsets
only and its time at the full size is extrapolated as n^2 from the largest subset: the
figure printed for it is an estimate, and the script says so. On each subset the clusters of
both methods are checked equal.

    .venv/bin/python benchmarks/bench_clones.py                      # 40,000 files
    .venv/bin/python benchmarks/bench_clones.py --block-files 4000   # quick try
"""
from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from auditkit.readers.clones import HASH_HEX, clone_units, find_clone_clusters  # noqa: E402
from make_synthetic_repo import make_synthetic_repo  # noqa: E402


def load_units(root: Path) -> list[tuple[str, str, dict]]:
    files = []
    for path in sorted(root.rglob("*")):
        language = {".py": "python", ".sql": "sql"}.get(path.suffix)
        if language is None or "pipelines" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text) if language == "python" else None
        units = clone_units(text, tree, language)
        if units is not None:
            files.append((str(path.relative_to(root)), language, units))
    return files


def naive_clusters(files: list[tuple[str, str, dict]], window: int) -> list[list[str]]:
    """Every pair of files: do their sets of windows intersect? Then join the pairs."""
    grams = []
    for key, family, units in files:
        seq = [units["h"][i:i + HASH_HEX] for i in range(0, len(units["h"]), HASH_HEX)]
        grams.append((key, family, {tuple(seq[i:i + window]) for i in range(len(seq) - window + 1)}))
    parent = list(range(len(grams)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i
    for i in range(len(grams)):
        for j in range(i + 1, len(grams)):
            if grams[i][1] == grams[j][1] and not grams[i][2].isdisjoint(grams[j][2]):
                parent[root(j)] = root(i)
    groups: dict[int, list[str]] = {}
    for i, (key, _, windows) in enumerate(grams):
        if windows:
            groups.setdefault(root(i), []).append(key)
    return sorted(sorted(g) for g in groups.values() if len(g) >= 2)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--block-files", type=int, default=40_000)
    ap.add_argument("--pipelines", type=int, default=2_000)
    ap.add_argument("--window", type=int, default=6)
    ap.add_argument("--naive", type=int, nargs="+", default=[500, 1000, 2000])
    ap.add_argument("--repo", type=Path, default=None, help="default: benchmarks/data/clones_<n>")
    args = ap.parse_args()
    repo = args.repo or HERE / "data" / f"clones_{args.block_files}"
    if not repo.exists():
        _, seconds = timed(lambda: make_synthetic_repo(repo, pipelines=args.pipelines, block_files=args.block_files))
        print(f"generated {repo} in {seconds:.1f} s")
    files, unit_seconds = timed(lambda: load_units(repo))
    n_units = sum(len(u["h"]) // HASH_HEX for _, _, u in files)
    print(f"{len(files):,} files, {n_units:,} units: read + parse + units {unit_seconds:.1f} s on one process "
          f"({1000 * unit_seconds / max(1, len(files)):.2f} ms per file; done once per file by the workers and cached)")
    clusters, fast_seconds = timed(lambda: find_clone_clusters(files, args.window))
    print(f"window hashing: {len(clusters):,} clusters among {len(files):,} files in {fast_seconds:.2f} s")
    last_n = last_seconds = None
    for n in args.naive:
        subset = files[:n]
        (naive, seconds), fast = timed(lambda: naive_clusters(subset, args.window)), find_clone_clusters(subset, args.window)
        same = naive == sorted([m.key for m in c] for c in fast)
        print(f"naive pairwise on {len(subset):,} files: {seconds:.2f} s ({len(naive)} clusters; "
              f"equal to window hashing: {same})")
        if not same:
            return 1
        last_n, last_seconds = len(subset), seconds
    if last_n:
        estimate = last_seconds * (len(files) / last_n) ** 2
        print(f"naive pairwise on {len(files):,} files: ~{estimate:,.0f} s ESTIMATED "
              f"(n^2 from {last_n:,} files; not run) vs {fast_seconds:.2f} s measured "
              f"(~{estimate / max(fast_seconds, 1e-9):,.0f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
