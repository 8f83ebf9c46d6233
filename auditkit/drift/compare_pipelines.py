"""Pipelines side by side: present, absent, renamed; their settings, blocks and edges.

Every function takes the environments' snapshots in promotion order and returns a plain frame.
A pipeline is *the same* in two environments when its ``metadata.yaml``, its ``triggers.yaml``
and every block file it uses have the same git blob ids; settings, blocks and edges are only
compared for pipelines whose ``metadata.yaml`` differs somewhere.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from auditkit.drift.configfiles import render
from auditkit.drift.frames import column_rows, differing, empty
from auditkit.drift.snapshot import EnvSnapshot

PIPELINE_FIELDS = ("name", "pipeline_type", "executor_type", "executor_count", "run_pipeline_in_one_process",
                   "concurrency_config", "retry_config", "notification_config", "cache_block_output_in_memory",
                   "settings", "tags", "description")
BLOCK_FIELDS = ("block_type", "language", "executor_type", "retry_config", "timeout", "configuration")
PRESENCE_COLUMNS = ["project", "pipeline", "env", "present", "state", "differs_in", "path", "n_blocks"]
RENAME_COLUMNS = ["project", "from_env", "from_pipeline", "to_env", "to_pipeline", "similarity"]
MIN_RENAME_SIMILARITY = 0.5

# Cell states of the pipelines x environments matrix, relative to the reference (production).
STATES = ("reference", "same", "differs", "new", "absent")


@dataclass(frozen=True)
class Signature:
    path: str                       # metadata.yaml, relative to the audited folder
    metadata: str | None            # blob ids
    triggers: str | None
    code: frozenset                 # (path, blob) of the block files it uses
    n_blocks: int


def signatures(snap: EnvSnapshot) -> dict[tuple[str, str], Signature]:
    """(project, pipeline) -> :class:`Signature` of every pipeline of one environment."""
    files = snap.tree.files
    code: dict[tuple, set] = defaultdict(set)
    blocks = snap.inventory.blocks
    if len(blocks):
        for project, pipeline, path in column_rows(blocks, "project", "pipeline", "path"):
            if isinstance(path, str):
                code[(project, pipeline)].add((path, files.get(path, (None, 0))[0]))
    out = {}
    for project, pipeline, path, n_entries in column_rows(snap.inventory.pipelines, "project", "pipeline", "path", "n_entries"):
        key = (project, pipeline)
        folder = path.rsplit("/", 1)[0]
        out[key] = Signature(path=path, metadata=files.get(path, (None, 0))[0],
                             triggers=files.get(f"{folder}/triggers.yaml", (None, 0))[0],
                             code=frozenset(code.get(key, ())), n_blocks=int(n_entries or 0))
    return out


def _difference(sig: Signature, ref: Signature) -> str:
    parts = []
    if sig.metadata != ref.metadata:
        parts.append("metadata")
    if sig.triggers != ref.triggers:
        parts.append("triggers")
    changed = {p for p, _ in sig.code ^ ref.code}
    if changed:
        parts.append(f"code ({len(changed)} file{'s' if len(changed) != 1 else ''})")
    return ", ".join(parts)


def presence(snaps: list[EnvSnapshot], sigs: list[dict], reference: str) -> pd.DataFrame:
    """One row per pipeline and environment: present, ``state`` against the reference
    environment (see :data:`STATES`) and what differs (metadata, triggers, code files)."""
    names = [s.name for s in snaps]
    ref = sigs[names.index(reference)]
    keys = sorted(set().union(*[set(s) for s in sigs]))
    rows = []
    for key in keys:
        ref_sig = ref.get(key)
        for env, table in zip(names, sigs):
            sig = table.get(key)
            state, what = "absent", ""
            if sig is not None:
                if env == reference:
                    state = "reference"
                elif ref_sig is None:
                    state = "new"
                else:
                    what = _difference(sig, ref_sig)
                    state = "differs" if what else "same"
            rows.append((*key, env, sig is not None, state, what, sig.path if sig else None,
                         sig.n_blocks if sig else 0))
    return pd.DataFrame(rows, columns=PRESENCE_COLUMNS) if rows else empty(PRESENCE_COLUMNS)


def changed_pipelines(sigs: list[dict], attribute: str) -> set[tuple[str, str]]:
    """Pipelines whose ``attribute`` blob is not the same in every environment holding them."""
    seen: dict[tuple, set] = defaultdict(set)
    for table in sigs:
        for key, sig in table.items():
            seen[key].add(getattr(sig, attribute))
    return {key for key, values in seen.items() if len(values) > 1}


def _block_sets(snap: EnvSnapshot) -> dict[tuple[str, str], frozenset]:
    blocks = snap.inventory.blocks
    out: dict[tuple, set] = defaultdict(set)
    for project, pipeline, block in column_rows(blocks, "project", "pipeline", "block"):
        out[(project, pipeline)].add(block)
    return {k: frozenset(v) for k, v in out.items()}


def renames(snaps: list[EnvSnapshot], sigs: list[dict]) -> pd.DataFrame:
    """Pipelines that disappear in one step of the promotion chain while a pipeline with mostly
    the same blocks (Jaccard similarity >= 0.5) appears in the same project."""
    rows = []
    for (a, sig_a), (b, sig_b) in zip(zip(snaps, sigs), zip(snaps[1:], sigs[1:])):
        only_a = [k for k in sig_a if k not in sig_b]
        only_b = [k for k in sig_b if k not in sig_a]
        if not only_a or not only_b:
            continue
        blocks_a, blocks_b = _block_sets(a), _block_sets(b)
        index: dict[tuple, set] = defaultdict(set)
        for key in only_a:
            for block in blocks_a.get(key, ()):
                index[(key[0], block)].add(key)
        scored = []
        for key in only_b:
            mine = blocks_b.get(key, frozenset())
            candidates = set().union(*[index.get((key[0], blk), set()) for blk in mine]) if mine else set()
            for other in candidates:
                theirs = blocks_a.get(other, frozenset())
                score = len(mine & theirs) / len(mine | theirs)
                if score >= MIN_RENAME_SIMILARITY:
                    scored.append((score, other, key))
        used_a, used_b = set(), set()
        for score, old, new in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
            if old in used_a or new in used_b:
                continue
            used_a.add(old)
            used_b.add(new)
            rows.append((old[0], a.name, old[1], b.name, new[1], round(score, 3)))
    return pd.DataFrame(rows, columns=RENAME_COLUMNS) if rows else empty(RENAME_COLUMNS)


def _scope(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["present"]][["project", "pipeline", "env"]]


def setting_diffs(snaps: list[EnvSnapshot], changed: set, present: pd.DataFrame) -> pd.DataFrame:
    """``project, pipeline, field, env, value``: pipeline settings (executor, retries,
    concurrency, notifications, settings, tags, ...) and block entry settings (``block <uuid>:
    <field>``) that are not the same in every environment holding the pipeline or block."""
    names = [s.name for s in snaps]
    pipe_rows, block_rows, block_scope = [], [], []
    for snap in snaps:
        pipelines = snap.inventory.pipelines
        keep = [k in changed for k in column_rows(pipelines, "project", "pipeline")]
        for row in pipelines[keep].to_dict("records"):
            pipe_rows.extend((row["project"], row["pipeline"], f, snap.name, render(row.get(f)))
                             for f in PIPELINE_FIELDS)
        blocks = snap.inventory.blocks
        keep = [k in changed for k in column_rows(blocks, "project", "pipeline")]
        for row in blocks[keep].to_dict("records"):
            block_scope.append((row["project"], row["pipeline"], row["block"], snap.name))
            block_rows.extend((row["project"], row["pipeline"], row["block"], f, snap.name, render(row.get(f)))
                              for f in BLOCK_FIELDS)
    columns = ["project", "pipeline", "field", "env", "value"]
    pipes = differing(pd.DataFrame(pipe_rows, columns=columns), ["project", "pipeline", "field"], "value",
                      names, _scope(present), ["project", "pipeline"])
    blocks = differing(pd.DataFrame(block_rows, columns=["project", "pipeline", "block", "field", "env", "value"]),
                       ["project", "pipeline", "block", "field"], "value", names,
                       pd.DataFrame(block_scope, columns=["project", "pipeline", "block", "env"]),
                       ["project", "pipeline", "block"])
    if len(blocks):
        blocks = blocks.assign(field="block " + blocks["block"] + ": " + blocks["field"]).drop(columns="block")
    return pd.concat([pipes, blocks[columns]], ignore_index=True) if len(blocks) else pipes


def block_diffs(snaps: list[EnvSnapshot], changed: set, present: pd.DataFrame) -> pd.DataFrame:
    """``project, pipeline, kind, item, env, state``: block entries (kind ``block``) and edges
    (``edge``, ``up -> down``) present in some environments holding the pipeline but not all."""
    names = [s.name for s in snaps]
    rows = []
    for snap in snaps:
        blocks = snap.inventory.blocks
        for project, pipeline, block in column_rows(blocks, "project", "pipeline", "block"):
            if (project, pipeline) in changed:
                rows.append((project, pipeline, "block", block, snap.name, "present"))
        edges = snap.inventory.edges
        for project, pipeline, up, down in column_rows(edges, "project", "pipeline", "upstream", "downstream"):
            if (project, pipeline) in changed:
                rows.append((project, pipeline, "edge", f"{up} -> {down}", snap.name, "present"))
    long = pd.DataFrame(rows, columns=["project", "pipeline", "kind", "item", "env", "state"])
    return differing(long, ["project", "pipeline", "kind", "item"], "state", names, _scope(present),
                     ["project", "pipeline"])
