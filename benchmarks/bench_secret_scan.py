"""CPU cost of the generic secret scan on the synthetic repo, against an older revision's scanner.

Times :meth:`GenericSecretScanner.scan_text` on every file (or a sample per kind) of the
synthetic repo that ``bench_check.py`` generates (2,000 pipelines / 40,000 block files), and in
the same run the scanner of ``--baseline`` (a git revision; its ``secrets.py`` is loaded from
git into a throwaway module), and prints CPU seconds per kind of file, extrapolated to the
whole repo. Also counts what each finds, so a faster scanner that finds less shows.

    .venv/bin/python benchmarks/bench_secret_scan.py [--repo DIR] [--baseline 35c048d] [--sample 3000]
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditkit.readers.paths import decode_text  # noqa: E402
from auditkit.readers.security.secrets import GenericSecretScanner  # noqa: E402

DEFAULT_REPO = ROOT / "benchmarks" / "data" / "synthetic_p2000_f40000_s1"


def baseline_scanner(revision: str):
    """The ``GenericSecretScanner`` class of ``revision``'s secrets.py (None when it cannot load)."""
    try:
        source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:auditkit/readers/security/secrets.py"],
                                check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    spec = importlib.util.spec_from_loader(f"baseline_secrets_{revision}", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, f"<{revision}:secrets.py>", "exec"), module.__dict__)   # noqa: S102 - our own file
    return module.GenericSecretScanner


def files_by_kind(repo: Path) -> dict[str, list[Path]]:
    kinds: dict[str, list[Path]] = {"python": [], "sql": [], "yaml": [], "other": []}
    for folder, _dirs, names in os.walk(repo):
        for name in names:
            path = Path(folder) / name
            suffix = path.suffix.lower()
            kind = {".py": "python", ".sql": "sql", ".yaml": "yaml", ".yml": "yaml"}.get(suffix, "other")
            kinds[kind].append(path)
    return kinds


def cpu_seconds(scanner, rels: list[str], texts: list[str]) -> tuple[float, int]:
    gc.collect()
    started = time.process_time()
    found = sum(len(scanner.scan_text(rel, text)) for rel, text in zip(rels, texts))
    return time.process_time() - started, found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO)
    parser.add_argument("--baseline", default="35c048d", help="git revision whose scanner is compared ('' for none)")
    parser.add_argument("--sample", type=int, default=3000, help="files per kind (0: all)")
    args = parser.parse_args(argv)
    if not args.repo.is_dir():
        print(f"no repo at {args.repo}: run benchmarks/bench_check.py (or make_synthetic_repo.py) first")
        return 2
    scanners = {"current": GenericSecretScanner}
    old = baseline_scanner(args.baseline) if args.baseline else None
    if old is not None:
        scanners[f"baseline {args.baseline}"] = old
    result: dict = {}
    for kind, paths in sorted(files_by_kind(args.repo).items()):
        if not paths:
            continue
        sample = sorted(random.Random(0).sample(paths, min(args.sample, len(paths)))) if args.sample else paths
        rels = [str(p.relative_to(args.repo)) for p in sample]
        texts = [decode_text(p.read_bytes())[0] for p in sample]
        for label, cls in scanners.items():
            with cls() as scanner:
                seconds, found = cpu_seconds(scanner, rels, texts)
            whole = seconds / len(sample) * len(paths)
            result.setdefault(label, {})[kind] = {"files": len(paths), "sampled": len(sample),
                                                  "ms_per_file": round(seconds / len(sample) * 1000, 3),
                                                  "cpu_s_whole_repo": round(whole, 1), "rows_in_sample": found}
            print(f"{label:22s} {kind:7s} {len(paths):6d} files  {seconds / len(sample) * 1000:8.3f} ms/file  "
                  f"~{whole:6.1f} CPU-s whole repo  {found} rows in sample", flush=True)
    for label, kinds in result.items():
        total = sum(k["cpu_s_whole_repo"] for k in kinds.values())
        print(f"{label:22s} total ~{total:.1f} CPU-s")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
