"""Where a cold ``auditkit check`` spends its time per block file, stage by stage.

Runs every per-file stage of the repo reader's workers on the same sample of Python block
files of the synthetic repo, in one process, and reports CPU milliseconds per file. In the
same run it times the naive way to get the same numbers (radon's complexity visitor and raw
metrics, every detect-secrets plugin on every line) and, when the ``tree_sitter`` and
``tree_sitter_python`` packages happen to be installed, tree-sitter's parse as an alternative
parser. The figures explain the cold-run floor: CPython's ``ast.parse`` alone is ~1.3 ms a
file.

    .venv/bin/python benchmarks/bench_file_stages.py [--repo DIR] [--sample 2000] [--baseline-facts FILE]

``--baseline-facts`` times another ``code_facts.py`` (an older version taken out of git into a
temporary folder) against the current one in the same run, in turns (see compare_facts_ms).
"""
from __future__ import annotations

import argparse
import ast
import gc
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditkit.readers import code, code_facts, filejob  # noqa: E402
from auditkit.readers.paths import decode_text  # noqa: E402
from auditkit.readers.security import code_risks  # noqa: E402
from auditkit.readers.security.secrets import GenericSecretScanner  # noqa: E402

DEFAULT_REPO = ROOT / "benchmarks" / "data" / "synthetic_p2000_f40000_s1"


def python_files(repo: Path, sample: int, seed: int = 0) -> list[Path]:
    found = [Path(folder) / name for folder, _dirs, names in os.walk(repo) for name in names
             if name.endswith(".py") and name != "__init__.py" and "/pipelines/" not in folder + "/"]
    random.Random(seed).shuffle(found)
    return sorted(found[:sample])


def per_file_ms(label: str, files: list, work, results: dict) -> None:
    """CPU ms per file of ``work(i)`` over every file; best of two passes."""
    best = None
    for _ in range(2):
        started = time.process_time()
        for i in range(len(files)):
            work(i)
        elapsed = (time.process_time() - started) / len(files) * 1000
        best = elapsed if best is None else min(best, elapsed)
    results[label] = round(best, 3)
    print(f"{label:42s} {best:7.3f} ms/file", flush=True)


def compare_facts_ms(baseline_path: Path, texts: list[str], trees: list, results: dict, rounds: int = 7) -> None:
    """CPU ms per file of the current facts walk and of ``baseline_path``'s, timed in turns on
    chunks of 100 files, keeping each chunk's best of ``rounds``: load from other processes on
    the machine hits both alike and drops out of the minimum."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("baseline_code_facts", baseline_path)
    baseline = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = baseline
    spec.loader.exec_module(baseline)
    chunks = [range(start, min(start + 100, len(texts))) for start in range(0, len(texts), 100)]
    best = {"current": [float("inf")] * len(chunks), "baseline": [float("inf")] * len(chunks)}
    for _ in range(rounds):
        for number, chunk in enumerate(chunks):
            for label, module in (("current", code_facts), ("baseline", baseline)):
                started = time.process_time()
                for i in chunk:
                    module.facts_and_complexity(texts[i], trees[i], "python")
                best[label][number] = min(best[label][number], time.process_time() - started)
    current, old = (sum(best[label]) / len(texts) * 1000 for label in ("current", "baseline"))
    results["facts + complexity: current (in turns)"] = round(current, 3)
    results["facts + complexity: baseline (in turns)"] = round(old, 3)
    print(f"{'facts + complexity, current':42s} {current:7.3f} ms/file")
    print(f"{'facts + complexity, baseline':42s} {old:7.3f} ms/file  (current/baseline {current / old:.3f})",
          flush=True)


def naive_secrets(scanner: GenericSecretScanner, path: str, text: str) -> int:
    """Every detect-secrets plugin on every line (what the candidate lines and gates avoid)."""
    found = 0
    for number, line in enumerate(text.splitlines(), 1):
        for plugin in scanner.plugins:
            found += len(plugin.analyze_line(filename=path, line=line, line_number=number))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=DEFAULT_REPO,
                        help="a Mage repo (default: the synthetic one bench_check.py generates)")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--baseline-facts", type=Path,
                        help="another code_facts.py to time against the current one (see the docstring)")
    args = parser.parse_args(argv)
    if not args.repo.is_dir():
        print(f"no repo at {args.repo}: run benchmarks/bench_check.py (or make_synthetic_repo.py) first")
        return 2
    # As in the reader's workers (see auditkit.readers.repo._worker_init).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    files = python_files(args.repo, args.sample)
    raw = [path.read_bytes() for path in files]
    texts = [decode_text(data)[0] for data in raw]
    trees = [ast.parse(text) for text in texts]
    rels = [str(path.relative_to(args.repo)) for path in files]
    print(f"{len(files)} Python block files, mean {sum(map(len, raw)) / len(raw):,.0f} bytes, "
          f"{sum(t.count(chr(10)) for t in texts) / len(texts):.0f} lines")
    results: dict[str, float] = {}
    per_file_ms("read + decode", files, lambda i: decode_text(files[i].read_bytes()), results)
    per_file_ms("ast.parse", files, lambda i: ast.parse(texts[i]), results)
    per_file_ms("facts + complexity (one walk)", files,
                lambda i: code_facts.facts_and_complexity(texts[i], trees[i], "python"), results)
    if args.baseline_facts:
        compare_facts_ms(args.baseline_facts, texts, trees, results)
    per_file_ms("line counts (from the AST)", files, lambda i: code.python_line_counts(texts[i], trees[i]), results)
    per_file_ms("code risks (AST, cue-gated)", files,
                lambda i: code_risks.ast_risks(rels[i], texts[i], trees[i]), results)
    with GenericSecretScanner() as scanner:
        per_file_ms("secrets (candidate lines, gated plugins)", files,
                    lambda i: scanner.scan_text(rels[i], texts[i]), results)
        per_file_ms("whole worker task (read to security facts)", files,
                    lambda i: filejob.measure_file(str(files[i]), len(raw[i]), "python", rel=rels[i],
                                                 scanner=scanner, data=raw[i]), results)
        subset = max(1, len(files) // 10)   # the naive secret scan is slow: a tenth of the sample
        per_file_ms("naive: every plugin on every line", files[:subset],
                    lambda i: naive_secrets(scanner, rels[i], texts[i]), results)
    from radon.raw import analyze
    from radon.visitors import ComplexityVisitor

    per_file_ms("naive: radon complexity (own parse)", files, lambda i: ComplexityVisitor.from_code(texts[i]), results)
    per_file_ms("naive: radon raw metrics (tokenizer)", files, lambda i: analyze(texts[i]), results)
    try:
        import tree_sitter_python
        from tree_sitter import Language, Parser
    except ImportError:
        print("tree-sitter: not installed (pip install tree-sitter tree-sitter-python to compare its parser)")
    else:
        ts_parser = Parser(Language(tree_sitter_python.language()))
        per_file_ms("alternative: tree-sitter parse only", files, lambda i: ts_parser.parse(raw[i]), results)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"bench_file_stages-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.write_text(json.dumps({"repo": str(args.repo), "files": len(files), "ms_per_file": results}, indent=2))
    print(f"results: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
