"""Scale benchmark: ``auditkit drift`` with three environments on the 2,000-pipeline / 40,000-block-file
synthetic repo, measured in the same run as one ``auditkit check`` of the same repo.

Steps (each measured one in its own child process through GNU time: wall, CPU and peak RSS):

1. copy the synthetic repo (``--source``, default ``/work/bigrepo``; never modified, or generated
   with make_synthetic_repo.py when missing) into ``benchmarks/data/drift-<n>/repo`` and make it a git
   repo once: ``main`` = the copy; ``staging`` = main with 5% of its files changed; ``development``
   = staging with another 5% changed; then two hotfix commits on ``main``. Changes are made with
   plumbing on a private index (no checkout): block code edits, pipelines removed and added,
   retry/tag edits in pipeline metadata, trigger schedule edits, io_config kind edits and a
   requirements.txt bump.
2. ``auditkit check REPO`` with no per-file cache (the cold check of bench_check.py);
3. ``auditkit drift REPO --env dev=development --env staging=staging --env prod=main``;
4. the same drift on a bare mirror of the repo (``--bare``).

Target (issue 19): drift under 2x one check. Results: ``benchmarks/results/bench_drift-<time>.json``.

    .venv/bin/python benchmarks/bench_drift.py [--source /work/bigrepo] [--share 0.05] [--bare]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_check import DATA, RESULTS, ROOT, auditkit_cmd, ensure_repo, timed  # noqa: E402

TARGET_RATIO = 2.0
_GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@example.com", "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@example.com", "LC_ALL": "C"}


def git(repo: Path, *args: str, stdin: bytes | None = None, index: Path | None = None, date: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(_GIT_ENV)
    if index is not None:
        env["GIT_INDEX_FILE"] = str(index)
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    done = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false",
                           "-c", "gc.autoDetach=false", *args], cwd=repo,
                          input=stdin, capture_output=True, env=env, check=True)
    return done.stdout.decode()


def _edit(rel: str, data: bytes, rng: random.Random) -> bytes | None:
    """A plausible change to one file, or None to delete it."""
    text = data.decode("utf-8", "replace")
    name = rel.rsplit("/", 1)[-1]
    if name == "metadata.yaml" and "/pipelines/" in rel:
        return (text.replace("retry_config: null", "retry_config:\n  retries: 3", 1) if rng.random() < 0.5
                else text.replace("tags: []", "tags:\n- drift", 1)).encode()
    if name == "triggers.yaml":
        return text.replace("@daily", "@hourly").replace("@hourly", "0 6 * * *", 1).encode()
    if name == "io_config.yaml":
        return text.replace("{{ env_var('POSTGRES_PASSWORD') }}", "changeme", 1).encode()
    if rel.endswith((".py", ".sql", ".r")):
        lines = text.splitlines(keepends=True)
        at = rng.randrange(len(lines) + 1)
        new = [f"    # drift edit {rng.randrange(10**6)}\n" for _ in range(rng.randint(1, 6))]
        del lines[at:at + rng.randint(0, 2)]
        return "".join(lines[:at] + new + lines[at:]).encode()
    return data + b"\n"


def derive_branch(repo: Path, base: str, branch: str, share: float, seed: int, date: str,
                  message: str | None = None) -> dict:
    """``branch`` = ``base`` plus one commit changing ``share`` of its files (no work tree used)."""
    rng = random.Random(seed)
    index = repo / ".git" / f"bench-{branch}.index"
    git(repo, "read-tree", base, index=index)
    entries = [line.split("\t", 1) for line in git(repo, "ls-files", "-s", index=index).splitlines()]
    files = {path: meta.split()[1] for meta, path in entries}
    chosen = rng.sample(sorted(files), int(len(files) * share))
    pipelines = sorted({p.split("/pipelines/")[1].split("/")[0] for p in files if "/pipelines/" in p})
    removed = set(rng.sample(pipelines, max(1, int(len(pipelines) * share / 10))))   # 0.5% at 5% changed
    contents = _read_blobs(repo, [files[p] for p in chosen])
    updates, deletes = [], []
    for path in chosen:
        new = _edit(path, contents[files[path]], rng)
        updates.append((path, new))
    for path in files:
        if "/pipelines/" in path and path.split("/pipelines/")[1].split("/")[0] in removed:
            deletes.append(path)
    for old in sorted(removed)[:3]:                                       # and a few come back renamed
        for path in [p for p in files if f"/pipelines/{old}/" in p]:
            data = _read_blobs(repo, [files[path]])[files[path]]
            updates.append((path.replace(f"/pipelines/{old}/", f"/pipelines/{old}_v2/"),
                            data.replace(old.encode(), f"{old}_v2".encode())))
    updates.append(("synthetic_project/requirements.txt", f"pandas=={rng.choice(['2.1.0', '2.2.1', '2.2.2'])}\nrequests>=2.31\n".encode()))
    _apply(repo, index, updates, deletes)
    tree = git(repo, "write-tree", index=index).strip()
    commit = git(repo, "commit-tree", tree, "-p", base, "-m", message or f"feat: {branch} changes", date=date).strip()
    git(repo, "update-ref", f"refs/heads/{branch}", commit)
    index.unlink()
    return {"files_changed": len(updates), "pipelines_removed": len(removed), "files": len(files)}


def _read_blobs(repo: Path, blobs: list[str]) -> dict[str, bytes]:
    out = subprocess.run(["git", "cat-file", "--batch"], cwd=repo, input=("\n".join(blobs) + "\n").encode(),
                         capture_output=True, check=True).stdout
    found, pos = {}, 0
    for _ in blobs:
        end = out.index(b"\n", pos)
        sha, _kind, size = out[pos:end].split()
        found[sha.decode()] = out[end + 1:end + 1 + int(size)]
        pos = end + 2 + int(size)
    return found


def _apply(repo: Path, index: Path, updates: list[tuple[str, bytes]], deletes: list[str]) -> None:
    lines = []
    for path, data in updates:
        if data is None:
            deletes.append(path)
            continue
        sha = git(repo, "hash-object", "-w", "--stdin", stdin=data).strip()
        lines.append(f"100644 {sha}\t{path}")
    for path in deletes:
        lines.append(f"0 {'0' * 40}\t{path}")
    git(repo, "update-index", "--index-info", stdin=("\n".join(lines) + "\n").encode(), index=index)


def ensure_drift_repo(source: Path, share: float) -> tuple[Path, dict]:
    """The benchmark's own git copy of ``source`` with the three branches (cached)."""
    folder = DATA / f"drift-{source.name}-{int(share * 1000)}"
    repo, manifest = folder / "repo", folder / "manifest.json"
    if manifest.exists():
        return repo, json.loads(manifest.read_text())
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copytree(source, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feat: the synthetic project", date="2026-01-01T09:00:00+00:00")
    made = {"staging": derive_branch(repo, "main", "staging", share, 1, "2026-01-05T09:00:00+00:00")}
    made["development"] = derive_branch(repo, "staging", "development", share, 2, "2026-01-08T09:00:00+00:00")
    made["main_hotfix"] = derive_branch(repo, "main", "main", share / 50, 3, "2026-01-09T09:00:00+00:00",
                                        message="fix: hotfix straight on main")
    git(repo, "reset", "-q", "--hard", "main")          # the benchmark's own copy: work tree = main
    git(repo, "gc", "-q")
    manifest.write_text(json.dumps(made, indent=2))
    return repo, made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="auditkit drift at scale, against one auditkit check")
    parser.add_argument("--source", default="/work/bigrepo", help="synthetic repo to copy (never modified)")
    parser.add_argument("--share", type=float, default=0.05, help="share of files each branch changes")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--bare", action="store_true", help="also run drift on a bare mirror")
    parser.add_argument("--skip-check", action="store_true", help="measure drift only")
    args = parser.parse_args(argv)

    source = Path(args.source)
    if not (source / "synthetic_project").is_dir():
        source, _ = ensure_repo(2000, 40000, 1)
    started = time.perf_counter()
    repo, made = ensure_drift_repo(source, args.share)
    out = RESULTS / f"bench_drift-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    result: dict = {"repo": str(repo), "branches": made, "prepare_s": round(time.perf_counter() - started, 1),
                    "cpus": os.cpu_count()}
    envs = ["--env", "dev=development", "--env", "staging=staging", "--env", "prod=main"]
    cold = {**os.environ, "AUDITKIT_CACHE_DIR": "off"}
    if not args.skip_check:
        result["check"] = timed(auditkit_cmd("check", str(repo), "--format", "json", "--out", str(out / "check")),
                                timeout=args.timeout, env=cold)
    result["drift"] = timed(auditkit_cmd("drift", str(repo), *envs, "--format", "json", "--out", str(out / "drift")),
                            timeout=args.timeout, env=cold)
    if args.bare:
        mirror = repo.parent / "mirror.git"
        if not mirror.exists():
            subprocess.run(["git", "clone", "-q", "--mirror", str(repo), str(mirror)], check=True)
        result["drift_bare"] = timed(auditkit_cmd("drift", str(mirror), *envs, "--format", "json", "--out",
                                                  str(out / "drift_bare")), timeout=args.timeout, env=cold)
    summary = json.loads((out / "drift" / "drift_summary.json").read_text()) if (out / "drift").exists() else {}
    result["drift_summary"] = {k: summary.get(k) for k in ("pipelines", "pipeline_states", "differences",
                                                           "promotion", "findings", "seconds")}
    if "check" in result and result["check"].get("seconds") and result["drift"].get("seconds"):
        result["ratio"] = round(result["drift"]["seconds"] / result["check"]["seconds"], 2)
        result["target_met"] = result["ratio"] < TARGET_RATIO
    for step in ("check", "drift", "drift_bare"):
        if step in result:
            result[step].pop("stdout", None)
            result[step]["stderr"] = result[step].get("stderr", "")[-600:]
    (out.with_suffix(".json")).write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps({k: v for k, v in result.items() if k != "branches"}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
