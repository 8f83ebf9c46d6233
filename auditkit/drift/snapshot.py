"""One environment read into a :class:`~auditkit.readers.repo.RepoInventory`, without checking out.

The repo reader reads folders, so each environment's tree is written as a *skeleton* into a
private temporary folder outside the audited repository: the files the reader parses (project
and pipeline ``metadata.yaml``, ``io_config.yaml``, ``settings.yaml``, ``triggers.yaml``) with
their content, every other file as an empty placeholder, so discovery, block-file listings and
"does the file exist" checks see exactly that tree. Block code is compared by blob id (and the
files that differ by their lines, :mod:`auditkit.drift.compare_code`), not measured again: the
``block_files`` frame of a snapshot keeps names and usage, and each file's ``blob`` id. The
skeleton is read with the per-file cache off (placeholders must never enter it) and removed
right after.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import pandas as pd

from auditkit.drift.envs import DriftInputError
from auditkit.drift.trees import EnvTree
from auditkit.model import InputProblem
from auditkit.readers.paths import is_within
from auditkit.readers.repo import FRAME_COLUMNS, NotAMageRepo, RepoInventory, read_repo

PARSED_NAMES = frozenset({"metadata.yaml", "io_config.yaml", "settings.yaml", "triggers.yaml"})
BLOCK_FILE_COLUMNS = ["project", "path", "block_type", "block", "language", "referenced", "n_pipelines", "blob"]


class DriftSetupError(DriftInputError):
    """Drift cannot run here (no private temporary folder outside the audited repository)."""


@dataclass
class EnvSnapshot:
    """What one environment holds: its files and its inventory (paths relative to the audited folder)."""

    tree: EnvTree
    inventory: RepoInventory
    problems: list[InputProblem]

    @property
    def name(self) -> str:
        return self.tree.env.name


def write_skeleton(tree: EnvTree, dest: Path) -> None:
    """Write ``tree`` below ``dest``: parsed files with content, the rest empty."""
    parsed = [rel for rel in tree.files if rel.rsplit("/", 1)[-1] in PARSED_NAMES]
    contents = tree.read(parsed)
    made: set[str] = set()
    for rel in tree.files:
        folder = rel.rpartition("/")[0]
        if folder and folder not in made:
            os.makedirs(dest / folder, exist_ok=True)
            made.add(folder)
        with open(dest / rel, "wb") as handle:
            data = contents.get(rel)
            if data:
                handle.write(data)


RAM_DISK = "/dev/shm"
RAM_DISK_HEADROOM = 256 * 1024 * 1024


def _room(folder: str) -> int:
    try:
        st = os.statvfs(folder)
    except OSError:
        return 0
    return st.f_bavail * st.f_frsize if os.access(folder, os.W_OK | os.X_OK) else 0


def private_temp_dir(avoid: Iterable[str | os.PathLike], need_bytes: int = 0) -> tempfile.TemporaryDirectory:
    """A new folder only this user can read, outside every folder of ``avoid``: in memory
    (``/dev/shm``) when there is room, since a skeleton is tens of thousands of small files
    written once and removed, else the usual temporary folder."""
    bases = [RAM_DISK] if _room(RAM_DISK) > need_bytes + RAM_DISK_HEADROOM else []
    bases += [tempfile.gettempdir(), "/tmp", str(Path.home() / ".cache")]
    for base in bases:
        if not os.path.isdir(base):
            continue
        candidate = Path(base).resolve()
        if not any(is_within(Path(a).resolve(), candidate) for a in avoid):
            return tempfile.TemporaryDirectory(prefix="auditkit-drift-", dir=str(candidate))
    raise DriftSetupError("no temporary folder outside the audited repository (set TMPDIR elsewhere)")


def empty_inventory(root: str) -> RepoInventory:
    frames = {name: pd.DataFrame(columns=cols) for name, cols in FRAME_COLUMNS.items()}
    frames["block_files"] = pd.DataFrame(columns=BLOCK_FILE_COLUMNS)
    return RepoInventory(root=root, **frames)


def read_env(tree: EnvTree, *, exclude: Iterable[str] = (), avoid: Iterable[str | os.PathLike] = (),
             workers: int | None = None) -> EnvSnapshot:
    """Read the environment ``tree`` (see the module doc). A tree without a Mage project gives an
    empty inventory and an input problem, never an exception."""
    label = f"{tree.env.name}:{tree.env.spec}"
    problems = list(tree.problems)
    parsed = sum(size for rel, (_, size) in tree.files.items() if rel.rsplit("/", 1)[-1] in PARSED_NAMES)
    with private_temp_dir(avoid, need_bytes=parsed + 4096 * len(tree.files)) as tmp:
        dest = Path(tmp) / "tree"
        dest.mkdir()
        write_skeleton(tree, dest)
        try:
            inventory = read_repo(dest, exclude=tuple(exclude), cache=False, workers=workers)
        except NotAMageRepo:
            problems.append(InputProblem(".", "not_mage", f"{tree.env.name}: no Mage project in {tree.env.spec}"))
            return EnvSnapshot(tree=tree, inventory=empty_inventory(label), problems=problems)
    inventory.root = label
    inventory.block_files = _block_files(inventory.block_files, tree)
    # The reader's rows name the environment in their reason; paths stay relative to the tree.
    problems.extend(InputProblem(r["path"], r["kind"], f"{tree.env.name}: {r['reason']}", r["project"])
                    for r in inventory.input_problems.to_dict("records"))
    return EnvSnapshot(tree=tree, inventory=inventory, problems=problems)


def _block_files(frame: pd.DataFrame, tree: EnvTree) -> pd.DataFrame:
    """Names, usage and blob id of each block file (placeholders were not worth measuring)."""
    out = frame[[c for c in BLOCK_FILE_COLUMNS if c != "blob"]].copy()
    out["blob"] = [tree.files.get(p, (None, 0))[0] for p in out["path"]]
    return out.reset_index(drop=True)
