"""Row dicts for rules: engine/frames.py's column-wise builder against pandas' to_dict("records").

Reads a repo (default: a synthetic one, see make_synthetic_repo.py) once, then times building
the row dicts of its biggest frames both ways (best of --rounds) and checks they are equal
(tests/test_frame_records.py checks equality on generated frames of every dtype).

    .venv/bin/python benchmarks/bench_records.py /work/bigrepo
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from auditkit.engine.frames import _to_records, is_missing  # noqa: E402
from auditkit.readers.repo import read_repo  # noqa: E402


def reference(frame):
    return [{k: (None if is_missing(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def best(fn, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    inv = read_repo(args.repo)
    total_ours = total_pandas = 0.0
    for name in ("block_files", "blocks", "pipelines", "edges"):
        frame = getattr(inv, name)
        assert _to_records(frame) == reference(frame), name
        ours, theirs = best(lambda: _to_records(frame), args.rounds), best(lambda: reference(frame), args.rounds)
        total_ours, total_pandas = total_ours + ours, total_pandas + theirs
        print(f"{name:12s} {len(frame):7d} rows  column-wise {ours:6.3f} s  to_dict {theirs:6.3f} s  ({theirs / ours:.1f}x)")
    print(f"{'all':12s} {'':7s}       column-wise {total_ours:6.3f} s  to_dict {total_pandas:6.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
