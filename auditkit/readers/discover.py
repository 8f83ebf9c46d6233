"""Find every Mage project under a folder (a git repo root or a project folder).

A folder is a Mage project when it has ``pipelines/<name>/metadata.yaml``, or a project
``metadata.yaml`` / ``io_config.yaml`` next to at least one block-type folder. A folder with a
``settings.yaml`` listing ``projects:`` is a multi-project ("project platform") parent; listed
sub-projects that are missing become input problems (Mage resolves a sub-project's folder as
``projects.<name>.path``, defaulting to ``<name>``, relative to the parent).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from auditkit.model import ProblemLog
from auditkit.readers.paths import SKIP_DIRS, is_excluded, is_within, read_text_in_repo, rel_posix, resolve_in_repo
from auditkit.readers.yamlsafe import load_yaml

BLOCK_TYPE_FOLDERS: dict[str, str] = {
    "data_loaders": "data_loader", "transformers": "transformer", "data_exporters": "data_exporter",
    "custom": "custom", "sensors": "sensor", "conditionals": "conditional", "callbacks": "callback",
    "extensions": "extension", "charts": "chart", "markdowns": "markdown", "scratchpads": "scratchpad",
    "dbts": "dbt",
}
# Folders shaped like a project that are not one: user templates keep pipelines/<uuid>/metadata.yaml.
NOT_PROJECT_NAMES = frozenset({"custom_templates"})


class NotAMageRepo(Exception):
    """The folder holds no Mage project. The CLI turns this into exit code 2."""


@dataclass
class ProjectLocation:
    """Where one project lives and which marker files it has."""

    name: str
    path: Path                 # absolute, resolved
    rel: str                   # repo-relative POSIX, "." for the root
    has_metadata: bool
    has_io_config: bool
    platform_parent: bool
    pipeline_dirs: list[str] = field(default_factory=list)   # folder names with metadata.yaml
    block_folders: list[str] = field(default_factory=list)   # block-type folders present
    sub_projects: dict[str, str] = field(default_factory=dict)  # settings.yaml name -> rel path


def _inspect_folder(folder: str) -> tuple[set[str], set[str]]:
    files, dirs = set(), set()
    try:
        with os.scandir(folder) as it:
            for entry in it:
                try:
                    (dirs if entry.is_dir() else files).add(entry.name)
                except OSError:
                    continue
    except OSError:
        pass
    return files, dirs


def _pipeline_dirs(pipelines_folder: str) -> list[str]:
    found = []
    try:
        with os.scandir(pipelines_folder) as it:
            for entry in it:
                if entry.is_dir() and entry.name not in SKIP_DIRS and os.path.isfile(os.path.join(entry.path, "metadata.yaml")):
                    found.append(entry.name)
    except OSError:
        pass
    return sorted(found)


def _platform_projects(root: Path, folder: Path, problems: ProblemLog) -> dict[str, str] | None:
    """Sub-projects listed in ``settings.yaml``; None when the file is not a platform file."""
    settings_path = folder / "settings.yaml"
    text = read_text_in_repo(root, settings_path, problems)
    if text is None:
        return None
    result = load_yaml(text, rel_posix(root, settings_path), problems, jinja=True)
    projects = result.data.get("projects") if isinstance(result.data, dict) else None
    if not isinstance(projects, dict):
        return None
    listed: dict[str, str] = {}
    for name, settings in projects.items():
        sub = (settings or {}).get("path") if isinstance(settings, dict) else None
        target = resolve_in_repo(root, str(sub or name), base=folder)
        if target is None:
            problems.add(rel_posix(root, settings_path), "outside_repo",
                         f"sub-project {name!r} points outside the repository")
            continue
        listed[str(name)] = rel_posix(root, target)
    return listed


def find_projects(root: str | os.PathLike, exclude: Iterable[str] = (),
                  problems: ProblemLog | None = None) -> list[ProjectLocation]:
    """Every Mage project under ``root``, sorted by path. Raises :class:`NotAMageRepo` if none."""
    root_path = Path(root).resolve()
    if not root_path.is_dir():
        raise NotAMageRepo(f"{root} is not a folder")
    problems = problems if problems is not None else ProblemLog()
    exclude = tuple(exclude)
    found: list[ProjectLocation] = []
    seen: set[tuple[int, int]] = set()
    stack = [root_path]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        files, dirs = _inspect_folder(str(folder))
        location = _as_project(root_path, folder, files, dirs, problems)
        if location is not None:
            found.append(location)
        for name in sorted(dirs, reverse=True):
            if name in SKIP_DIRS:
                continue
            child = folder / name
            rel = rel_posix(root_path, child)
            if exclude and is_excluded(rel, exclude, is_dir=True):
                continue
            if child.is_symlink() and not is_within(root_path, child):
                continue
            stack.append(child)
    if not found:
        raise NotAMageRepo(f"no Mage project found under {root_path} "
                           "(looked for pipelines/<name>/metadata.yaml, or metadata.yaml/io_config.yaml "
                           "next to block folders such as data_loaders/)")
    found.sort(key=lambda p: (p.rel != ".", p.rel))
    _check_sub_projects(root_path, found, problems)
    return found


def _as_project(root: Path, folder: Path, files: set[str], dirs: set[str],
                problems: ProblemLog) -> ProjectLocation | None:
    if folder.name in NOT_PROJECT_NAMES and folder != root:
        return None
    pipeline_dirs = _pipeline_dirs(str(folder / "pipelines")) if "pipelines" in dirs else []
    block_folders = sorted(d for d in dirs if d in BLOCK_TYPE_FOLDERS)
    has_metadata = "metadata.yaml" in files
    has_io_config = "io_config.yaml" in files
    sub_projects = _platform_projects(root, folder, problems) if "settings.yaml" in files else None
    is_project = bool(pipeline_dirs) or ((has_metadata or has_io_config) and bool(block_folders))
    if not is_project and sub_projects is None:
        return None
    rel = rel_posix(root, folder)
    return ProjectLocation(
        name=folder.name, path=folder, rel=rel, has_metadata=has_metadata, has_io_config=has_io_config,
        platform_parent=sub_projects is not None, pipeline_dirs=pipeline_dirs,
        block_folders=block_folders, sub_projects=sub_projects or {},
    )


def _check_sub_projects(root: Path, found: list[ProjectLocation], problems: ProblemLog) -> None:
    """A sub-project listed in settings.yaml must exist and be a Mage project."""
    known = {p.rel for p in found}
    for parent in found:
        for name, rel in parent.sub_projects.items():
            if rel in known:
                continue
            settings_rel = "settings.yaml" if parent.rel == "." else f"{parent.rel}/settings.yaml"
            exists = (root / rel).is_dir()
            reason = (f"sub-project {name!r} is listed but its folder {rel} is not a Mage project"
                      if exists else f"sub-project {name!r} is listed but its folder {rel} is missing")
            problems.add(settings_rel, "missing_project", reason, parent.name)
