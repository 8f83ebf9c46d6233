"""Ecosystem check: auditkit's findings on real public Mage repos, measured against labels.

In the manner of ruff's ecosystem check. The repos, their pinned commits and project roots are
in ``manifest.yaml``; ``labels.csv`` holds a verdict for each labelled finding:

* ``T``: a real departure from Mage's guides that an experienced Mage engineer would want fixed;
* ``F``: wrong;
* ``N``: true but noise (fires on nearly every pipeline, flags Mage's own scaffolding, repeats
  another finding about the same problem, does not apply to that block type).

Only facts from those repos are kept here (repo, commit, path, line, rule, verdict, reason);
none of their code or text. The repos are read from local git mirrors (``fetch``, one bare
repository per ``<owner>+<name>/repo`` under ``--mirrors``), checked out at the pinned commit
into ``--work`` (outside the project). Where the mirrors are absent the script says so and
exits 0, so CI (which has none) skips it cleanly.

    .venv/bin/python benchmarks/ecosystem/ecosystem.py            # precision per rule, changes
    .venv/bin/python benchmarks/ecosystem/ecosystem.py --unlabelled   # + list unlabelled findings
    .venv/bin/python benchmarks/ecosystem/ecosystem.py --sample 12    # rows still to label

A finding is matched to its label by its fingerprint (which survives reworded messages and moved
lines), else by (repo, rule, path, line, pipeline, block) when that place holds one finding and
one label. ``baseline`` in a label row is ``y`` when the finding
was produced by the code the labelling started from, so "before" precision is computed over
those rows and "after" over the labelled findings the current code produces.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
MANIFEST = HERE / "manifest.yaml"
LABELS = HERE / "labels.csv"      # plus any labels-*.csv beside it (one per labelling round)
PRECISION = HERE / "precision.csv"
LABEL_FIELDS = ["repo", "rule", "severity", "path", "line", "pipeline", "block", "fingerprint",
                "verdict", "reason", "baseline"]
SEVERE = {"critical", "high"}


def load_manifest() -> list[dict]:
    with open(MANIFEST, encoding="utf-8") as fh:
        return [r for r in yaml.safe_load(fh)["repos"] if r.get("mage", True)]


def mirror_dir(mirrors: Path, repo: str) -> Path:
    return mirrors / repo.replace("/", "+") / "repo"


def checkout(mirrors: Path, work: Path, entry: dict) -> Path | None:
    """The repo at its pinned commit under ``work`` (made once; None when the mirror is absent).

    Mirrors lack files of 4 MiB and more, so a plain ``git checkout`` can fail: the index is
    set from the commit and every blob that is present is written; absent blobs stay absent
    (they show as deleted in ``git status``, which no rule reads).
    """
    mirror = mirror_dir(mirrors, entry["repo"])
    if not mirror.is_dir():
        return None
    dest = work / entry["repo"].replace("/", "+")
    stamp = dest / ".git" / "auditkit-eco-commit"
    if stamp.is_file() and stamp.read_text().strip() == entry["commit"]:
        return dest
    if not (dest / ".git").is_dir():
        subprocess.run(["git", "clone", "-q", "--no-checkout", "--shared", str(mirror), str(dest)], check=True)
    git = ["git", "-C", str(dest)]
    subprocess.run(git + ["reset", "-q", entry["commit"]], check=True)
    listing = subprocess.run(git + ["ls-tree", "-r", "-z", entry["commit"]], check=True,
                             capture_output=True).stdout.split(b"\0")
    for item in filter(None, listing):
        meta, name = item.split(b"\t", 1)
        mode, kind, sha = meta.split()
        target = dest / os.fsdecode(name)
        if kind != b"blob" or target.exists() or target.is_symlink():
            continue
        blob = subprocess.run(git + ["cat-file", "blob", sha.decode()], capture_output=True)
        if blob.returncode:
            continue                        # blob not in the mirror (too large)
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":
            target.symlink_to(os.fsdecode(blob.stdout))
        else:
            target.write_bytes(blob.stdout)
    stamp.write_text(entry["commit"] + "\n")
    return dest


def run_repo(path: Path) -> tuple[list[dict], int, int, list[str]]:
    """(findings, block entries, input problems, project roots) of one repo, as ``auditkit check``
    computes them."""
    sys.path.insert(0, str(PROJECT))
    from auditkit.audit import run_audit
    from auditkit.outputs.findings import findings_document

    audit = run_audit(path, cache=False)
    doc = findings_document(audit.findings, repo=str(path))
    roots = sorted(audit.inventory.projects["path"])
    return doc["findings"], len(audit.inventory.blocks), len(audit.input_problems), roots


def key_of(repo: str, rec: dict) -> tuple:
    line = rec.get("line")
    line = "" if line in (None, "") else str(int(float(line)))
    return (repo, rec.get("rule_id") or rec.get("rule"), rec.get("path") or "", line,
            rec.get("pipeline") or "", rec.get("block") or "")


def load_labels() -> list[dict]:
    labels: list[dict] = []
    for path in sorted(HERE.glob("labels*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            labels.extend(csv.DictReader(fh))
    return labels


def match_labels(current: list[tuple[tuple, dict]], labels: list[dict]) -> dict[int, dict]:
    """Index into ``current`` -> its label: by fingerprint, else by a place that is unique on
    both sides."""
    # Fingerprints leave the line out (so they survive edits above a finding); several findings of
    # one rule in one file share one, so the line tells them apart, then the place alone.
    by_fp = {(lab["repo"], lab["fingerprint"], key_of(lab["repo"], lab)[3]): lab
             for lab in labels if lab.get("fingerprint")}
    fp_only = Counter((lab["repo"], lab["fingerprint"]) for lab in labels if lab.get("fingerprint"))
    by_fp_only = {(lab["repo"], lab["fingerprint"]): lab for lab in labels if lab.get("fingerprint")}
    label_places = Counter(key_of(lab["repo"], lab) for lab in labels)
    current_places = Counter(k for k, _ in current)
    by_place = {key_of(lab["repo"], lab): lab for lab in labels}
    matched: dict[int, dict] = {}
    for i, (k, rec) in enumerate(current):
        lab = by_fp.get((k[0], rec.get("fingerprint"), k[3]))
        if lab is None and fp_only[(k[0], rec.get("fingerprint"))] == 1:
            lab = by_fp_only[(k[0], rec.get("fingerprint"))]
        if lab is None and label_places[k] == 1 and current_places[k] == 1:
            lab = by_place.get(k)
        if lab is not None:
            matched[i] = lab
    return matched


def precision(rows: list[dict]) -> tuple[float | None, int]:
    judged = [r for r in rows if r["verdict"] in ("T", "F", "N")]
    if not judged:
        return None, 0
    return sum(r["verdict"] == "T" for r in judged) / len(judged), len(judged)


def fmt(p: float | None, n: int) -> str:
    return "   -   " if p is None else f"{100 * p:5.1f}% ({n})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirrors", type=Path, default=Path(os.environ.get("AUDITKIT_MIRRORS", PROJECT.parent / ".mirror")))
    ap.add_argument("--work", type=Path, default=Path(os.environ.get(
        "AUDITKIT_ECO_WORK", Path.home() / ".cache" / "auditkit-ecosystem")))
    ap.add_argument("--out", type=Path, help="also write each repo's findings.json here")
    ap.add_argument("--unlabelled", action="store_true", help="list findings without a label")
    ap.add_argument("--sample", type=int, metavar="N",
                    help="print a CSV of unlabelled findings to label: every critical/high one and "
                         "up to N per rule of the rest (seeded, stratified by rule)")
    ap.add_argument("--write-precision", action="store_true",
                    help=f"write per-rule precision to {PRECISION.relative_to(PROJECT)} (read by the rule docs)")
    args = ap.parse_args(argv)

    entries = load_manifest()
    present = [e for e in entries if mirror_dir(args.mirrors, e["repo"]).is_dir()]
    if not present:
        print(f"ecosystem: no mirrors under {args.mirrors}; nothing to check (skipped)")
        return 0
    args.work.mkdir(parents=True, exist_ok=True)
    labels = load_labels()
    current: list[tuple[tuple, dict]] = []
    entries_total = 0
    per_repo = []
    for entry in present:
        path = checkout(args.mirrors, args.work, entry)
        findings, n_entries, n_problems, roots = run_repo(path)
        if roots != sorted(entry.get("roots") or []):
            print(f"ecosystem: {entry['repo']}: projects found at {roots}, manifest says {entry.get('roots')}")
        entries_total += n_entries
        per_repo.append((entry["repo"], len(findings), n_entries, n_problems))
        for rec in findings:
            current.append((key_of(entry["repo"], rec), rec))
        if args.out:
            target = args.out / entry["repo"].replace("/", "+")
            target.mkdir(parents=True, exist_ok=True)
            (target / "findings.json").write_text(json.dumps(findings, indent=1))

    matched = match_labels(current, labels)
    if args.sample is not None:
        return print_sample(current, matched, labels, args.sample)

    by_rule_now: dict[str, list[dict]] = defaultdict(list)
    counts_now = Counter()
    for i, (k, rec) in enumerate(current):
        counts_now[k[1]] += 1
        if i in matched:
            by_rule_now[k[1]].append(matched[i])
    by_rule_before: dict[str, list[dict]] = defaultdict(list)
    for lab in labels:
        if lab.get("baseline") == "y":
            by_rule_before[lab["rule"]].append(lab)

    print(f"{len(present)} repos, {len(current)} findings, {entries_total} block entries: "
          f"{len(current) / max(entries_total, 1):.2f} findings per block entry")
    for repo, n, e, p in per_repo:
        print(f"  {repo:70s} {n:4d} findings {e:4d} entries {p:3d} input problems")
    print(f"\n{'rule':14s} {'now':>4s} {'labelled':>8s}  {'precision now':>14s}  {'before':>14s}")
    rows_out = []
    for rule in sorted(set(counts_now) | set(by_rule_before)):
        p_now, n_now = precision(by_rule_now.get(rule, []))
        p_before, n_before = precision(by_rule_before.get(rule, []))
        print(f"{rule:14s} {counts_now.get(rule, 0):4d} {n_now:8d}  {fmt(p_now, n_now):>14s}  {fmt(p_before, n_before):>14s}")
        rows_out.append({"rule": rule, "findings": counts_now.get(rule, 0), "labelled": n_now,
                         "precision": "" if p_now is None else f"{p_now:.3f}"})
    all_now = [lab for rows in by_rule_now.values() for lab in rows]
    all_before = [lab for rows in by_rule_before.values() for lab in rows]
    print(f"\noverall          now {fmt(*precision(all_now))}   before {fmt(*precision(all_before))}")
    severe_now = [lab for i, lab in matched.items() if current[i][1]["severity"] in SEVERE]
    severe_before = [lab for lab in all_before if lab["severity"] in SEVERE]
    print(f"critical+high    now {fmt(*precision(severe_now))}   before {fmt(*precision(severe_before))}")
    security_now = [lab for i, lab in matched.items() if current[i][0][1].startswith("MAGE-SEC-")]
    other_now = [lab for i, lab in matched.items() if not current[i][0][1].startswith("MAGE-SEC-")]
    print(f"security rules   now {fmt(*precision(security_now))}")
    print(f"other rules      now {fmt(*precision(other_now))}")
    above_info = [lab for i, lab in matched.items() if current[i][1]["severity"] != "info"]
    print(f"low and above    now {fmt(*precision(above_info))}")
    unlabelled = [(k, rec) for i, (k, rec) in enumerate(current) if i not in matched]
    print(f"unlabelled now   {len(unlabelled)} of {len(current)} "
          f"({sum(rec['severity'] in SEVERE for _, rec in unlabelled)} critical/high)")

    still = {id(lab) for lab in matched.values()}
    gone = [lab for lab in labels if id(lab) not in still]
    print(f"\nlabelled findings no longer produced: {len(gone)} "
          f"({', '.join(f'{v} {c}' for v, c in sorted(Counter(g['verdict'] for g in gone).items()))})")
    for lab in sorted(gone, key=lambda r: (r["verdict"] != "T", r["rule"], r["repo"])):
        if lab["verdict"] == "T":
            print(f"  LOST T  {lab['rule']} {lab['repo']} {lab['path']}:{lab['line']}  {lab['reason']}")
    if args.unlabelled:
        print("\nunlabelled findings:")
        for k, rec in sorted(unlabelled, key=lambda kr: kr[0]):
            print(f"  {k[1]} {rec['severity']:8s} {k[0]} {k[2]}:{k[3]} [{k[4]}/{k[5]}] {rec['message']}")
    if args.write_precision:
        with open(PRECISION, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["rule", "findings", "labelled", "precision"])
            w.writeheader()
            w.writerows(rows_out)
        print(f"\nwrote {PRECISION}")
    return 0


def print_sample(current: list[tuple[tuple, dict]], matched: dict[int, dict], labels: list[dict],
                 per_rule: int) -> int:
    todo = [(k, rec) for i, (k, rec) in enumerate(current) if i not in matched]
    rng = random.Random(20261206)
    by_rule: dict[str, list] = defaultdict(list)
    for k, rec in todo:
        by_rule[k[1]].append((k, rec))
    labelled_count = Counter(current[i][0][1] for i in matched)
    chosen = []
    for rule, items in sorted(by_rule.items()):
        severe = [kr for kr in items if kr[1]["severity"] in SEVERE]
        rest = [kr for kr in items if kr[1]["severity"] not in SEVERE]
        room = max(per_rule - labelled_count.get(rule, 0), 0)
        chosen += severe + rng.sample(rest, min(room, len(rest)))
    w = csv.writer(sys.stdout)
    w.writerow(LABEL_FIELDS + ["message", "evidence"])
    for k, rec in chosen:
        w.writerow([k[0], k[1], rec["severity"], k[2], k[3], k[4], k[5], rec["fingerprint"], "", "", "",
                    rec["message"], rec.get("evidence") or ""])
    return 0


if __name__ == "__main__":
    sys.exit(main())
