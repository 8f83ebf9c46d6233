"""Dump the code facts (and the walk's complexity scores) of every block-like file under some
folders to JSON, and compare them with another implementation of ``code_facts``.

Used to prove a refactor of :mod:`auditkit.readers.code_facts` changes nothing: take the old
module out of git into a temporary folder (never commit it) and compare::

    git show f842a83:auditkit/readers/code_facts.py > /tmp/old/code_facts_old.py
    .venv/bin/python benchmarks/dump_code_facts.py --baseline /tmp/old/code_facts_old.py \\
        --out /tmp/facts tests/fixtures auditkit/demo ~/.cache/auditkit-ecosystem/*
    .venv/bin/python benchmarks/dump_code_facts.py --baseline /tmp/old/code_facts_old.py \\
        --limit 5000 --out /tmp/facts-big /work/bigrepo

Each file is read and parsed once (as ``readers/code.py`` does) and handed to both
implementations; ``--out`` writes ``new.json`` (and ``baseline.json``) keyed by path. The exit
status is 1 when any file differs.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditkit.readers import code_facts  # noqa: E402
from auditkit.readers.paths import decode_text  # noqa: E402

LANGUAGES = {".py": "python", ".sql": "sql", ".r": "r", ".R": "r"}


def load_module(path: Path) -> ModuleType:
    """A module loaded from a file outside the package (an older code_facts.py)."""
    spec = importlib.util.spec_from_file_location(f"baseline_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def block_files(roots: list[Path], limit: int | None) -> list[tuple[Path, str]]:
    """(path, language) of the Python, SQL and R files under ``roots``, sorted, at most
    ``limit`` of them (the first in sorted order) per root."""
    found = []
    for root in roots:
        here = sorted(Path(folder) / name for folder, _dirs, names in os.walk(root)
                      if ".git" not in Path(folder).parts
                      for name in names if Path(name).suffix in LANGUAGES)
        found.extend((path, LANGUAGES[path.suffix]) for path in here[:limit])
    return found


def facts_of(module: ModuleType, text: str, tree: ast.AST | None, language: str) -> list:
    """[facts, scores] as plain JSON values (lists, not tuples)."""
    facts, scores = module.facts_and_complexity(text, tree, language)
    return json.loads(json.dumps([facts, scores]))


def parse(text: str, language: str) -> ast.AST | None:
    if language != "python":
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path)
    parser.add_argument("--baseline", type=Path, help="another code_facts.py to compare with")
    parser.add_argument("--limit", type=int, help="at most this many files per root")
    parser.add_argument("--out", type=Path, help="folder for new.json and baseline.json")
    args = parser.parse_args(argv)
    baseline = load_module(args.baseline) if args.baseline else None
    new_dump, old_dump, differing = {}, {}, []
    counts: dict[str, int] = {}
    for path, language in block_files(args.roots, args.limit):
        text = decode_text(path.read_bytes())[0]
        tree = parse(text, language)
        key = str(path)
        new_dump[key] = facts_of(code_facts, text, tree, language)
        counts[language] = counts.get(language, 0) + 1
        if baseline is not None:
            old_dump[key] = facts_of(baseline, text, tree, language)
            if old_dump[key] != new_dump[key]:
                differing.append(key)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "new.json").write_text(json.dumps(new_dump, indent=1, sort_keys=True))
        if baseline is not None:
            (args.out / "baseline.json").write_text(json.dumps(old_dump, indent=1, sort_keys=True))
    unparsed = sum(1 for value in new_dump.values() if value[1] is None)
    print(f"{len(new_dump)} files ({', '.join(f'{n} {lang}' for lang, n in sorted(counts.items()))}; "
          f"{unparsed} without complexity scores)")
    if baseline is not None:
        print(f"identical to the baseline: {len(new_dump) - len(differing)}, differing: {len(differing)}")
        for key in differing[:20]:
            print(f"  differs: {key}")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
