"""YAML loading: auditkit's bounded loader against PyYAML's CSafeLoader with the same bounds.

Issue 14 asks whether the hand-made fast paths of ``auditkit/readers/yamlsafe.py`` (documents
built straight from parser events, a plain-tree builder, a resolver memo) still pay for
themselves. This measures, in one process and alternating, on every YAML file of a folder
(default: a synthetic repo made by ``make_synthetic_repo.py``):

* ``auditkit``: ``load_yaml(text, path, keep_node=False)``, what the repo reader calls;
* ``csafe+bounds``: the text pre-check, ``CSafeLoader`` compose, the node-bounds walk when the
  text is not provably bounded, and PyYAML's own ``construct_document``.

Both must give equal data for every file (checked); the times are the best of ``--rounds``.

    .venv/bin/python benchmarks/bench_yaml.py /work/bigrepo --rounds 3
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from auditkit.readers import yamlsafe  # noqa: E402


def plain_load(text: str):
    """CSafeLoader with the same bounds and tag handling, no fast paths."""
    yamlsafe._precheck_text(text)
    loader = yaml.CSafeLoader(text)
    try:
        node = loader.get_single_node()
        if not ("&" not in text and yamlsafe._provably_bounded(text)):
            yamlsafe.check_node_bounds(node)
        return loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    texts = []
    for base, _dirs, files in os.walk(args.folder):
        for name in files:
            if name.endswith((".yaml", ".yml")):
                texts.append((os.path.join(base, name), Path(base, name).read_text(encoding="utf-8", errors="replace")))
    print(f"{len(texts)} YAML files, {sum(len(t) for _, t in texts) / 1e6:.1f} MB")
    unequal = 0
    for path, text in texts:
        ours = yamlsafe.load_yaml(text, path, keep_node=False)
        try:
            theirs = plain_load(text)
        except Exception:   # noqa: BLE001 - a file both refuse is equal
            theirs = None if not ours.ok else object()
        if ours.ok and ours.data != theirs:
            unequal += 1
    print(f"files whose data differ: {unequal}")
    best = {"auditkit": float("inf"), "csafe+bounds": float("inf")}
    for _ in range(args.rounds):
        for label, fn in (("auditkit", lambda p, t: yamlsafe.load_yaml(t, p, keep_node=False)),
                          ("csafe+bounds", lambda p, t: plain_load(t))):
            start = time.perf_counter()
            for path, text in texts:
                try:
                    fn(path, text)
                except Exception:   # noqa: BLE001
                    pass
            best[label] = min(best[label], time.perf_counter() - start)
    for label, seconds in best.items():
        print(f"{label:14s} {seconds:6.2f} s")
    print(f"csafe+bounds / auditkit = {best['csafe+bounds'] / best['auditkit']:.2f}")
    return 0 if unequal == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
