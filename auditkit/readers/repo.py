"""``read_repo(path) -> RepoInventory``: every Mage project under a folder as DataFrames.

The contract (frames and columns) is in ``docs/architecture.md``. The reader walks the
repository once, reads each file once, collects plain dicts and builds each DataFrame once
at the end. Bad input never raises: it becomes a row of ``input_problems``. The only error
raised is :class:`NotAMageRepo` when the folder holds no Mage project.
"""
from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd

from auditkit.model import ProblemLog
from auditkit.readers.code import empty_metrics, language_for
from auditkit.readers.data_products import global_data_product_uuids
from auditkit.readers.filejob import measure_many
from auditkit.readers.filecache import FileCache
from auditkit.readers.discover import BLOCK_TYPE_FOLDERS, NotAMageRepo, ProjectLocation, find_projects
from auditkit.readers.graph import GRAPH_COLUMNS
from auditkit.readers.ioconfig import io_config_rows, redact, redact_text
from auditkit.readers.paths import RepoFile, is_within, iter_repo_files, read_text_in_repo
from auditkit.readers.pipelines import PipelineResult, ProjectContext, read_pipeline
from auditkit.readers.triggers import TRIGGER_COLUMNS, read_triggers
from auditkit.readers.workers import WorkerPool
from auditkit.readers.yamlsafe import load_yaml

__all__ = ["RepoInventory", "read_repo", "NotAMageRepo", "FRAME_COLUMNS"]

BLOCK_FILE_EXTENSIONS = frozenset({".py", ".sql", ".r", ".yaml", ".yml", ".md"})
PARALLEL_MIN_FILES = 400     # below this, starting worker processes costs more than it saves
_CHUNK = 200

FRAME_COLUMNS: dict[str, list[str]] = {
    "projects": ["project", "path", "project_type", "platform_parent", "has_metadata", "has_io_config",
                 "metadata", "retry_config", "queue_config", "notification_config", "variables_dir",
                 "n_pipelines", "metadata_text", "python_tags", "sub_projects", "global_data_products"],
    "io_config": ["project", "path", "profile", "key", "value_kind", "fingerprint", "target_scope", "line"],
    "pipelines": ["project", "pipeline", "uuid_in_yaml", "name", "pipeline_type", "path", "description", "tags",
                  "n_blocks", "n_entries", "executor_type", "executor_count", "run_pipeline_in_one_process",
                  "concurrency_config", "retry_config", "notification_config", "cache_block_output_in_memory",
                  "settings", "has_triggers_yaml", *GRAPH_COLUMNS, "readable", "python_tags"],
    "blocks": ["project", "pipeline", "block", "name", "block_type", "language", "section", "extension", "upstream",
               "downstream", "path", "path_source", "file_exists", "retry_config", "executor_type", "timeout",
               "configuration", "is_dynamic", "reduce_output", "replicated_block", "has_callback"],
    "block_files": ["project", "path", "block_type", "block", "language", "subfolder_depth", "size_bytes",
                    "lines_total", "lines_code", "n_functions", "functions", "decorators", "n_tests",
                    "has_docstring", "complexity_max", "complexity_avg", "referenced", "n_pipelines",
                    "skipped", "facts", "template", "clones", "complex_functions", "cues"],
    "edges": ["project", "pipeline", "upstream", "downstream", "dangling"],
    "triggers": TRIGGER_COLUMNS,
    "input_problems": ["path", "kind", "reason", "project"],
}


@dataclass
class RepoInventory:
    """Everything read from the repository (see docs/architecture.md for the columns)."""

    root: str
    projects: pd.DataFrame
    io_config: pd.DataFrame
    pipelines: pd.DataFrame
    blocks: pd.DataFrame
    block_files: pd.DataFrame
    edges: pd.DataFrame
    triggers: pd.DataFrame
    input_problems: pd.DataFrame
    # Per-file security results the reader's workers computed (rel path -> FileSecurity), handed
    # to the security scan so it does not read those files again; None once consumed.
    security_prescan: dict[str, Any] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {name.replace('_', ' ')[:-1] if n == 1 else name.replace('_', ' ')}"
                           for name in ("projects", "pipelines", "blocks", "block_files", "triggers",
                                        "input_problems") for n in [len(getattr(self, name))])
        return f"<RepoInventory of {self.root}: {counts}>"

    @property
    def code_facts(self) -> pd.DataFrame:
        """Code facts as a tidy frame: one row per block file and fact found in it (HTTP calls,
        connections, prints, environment reads, ...): ``project, path, block, block_type, fact,
        count, first_line, details``. The facts and columns are listed in docs/columns.md."""
        from auditkit.readers.code_facts.table import facts_table
        return facts_table(self.block_files)

    def summary(self) -> dict[str, Any]:
        """The ``inventory`` object of summary.json (plain ints and a type -> count dict)."""
        blocks = self.blocks
        has_file = blocks["path_source"] != "none" if len(blocks) else pd.Series(dtype=bool)
        missing = int((has_file & ~blocks["file_exists"].astype(bool)).sum()) if len(blocks) else 0
        orphans = int((~self.block_files["referenced"].astype(bool)).sum()) if len(self.block_files) else 0
        by_type = {str(k): int(v) for k, v in Counter(self.pipelines["pipeline_type"].fillna("unknown")).items()}
        return {
            "projects": len(self.projects), "pipelines": len(self.pipelines),
            "pipelines_by_type": dict(sorted(by_type.items())), "block_entries": len(blocks),
            "block_files": len(self.block_files), "missing_block_files": missing,
            "orphan_block_files": orphans, "triggers": len(self.triggers),
            "input_problems": len(self.input_problems),
        }


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=FRAME_COLUMNS[name])


def _read_project_files(root: Path, loc: ProjectLocation, problems: ProblemLog,
                        io_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``projects`` row (metadata.yaml, io_config.yaml) of one project."""
    prefix = "" if loc.rel == "." else loc.rel + "/"
    row: dict[str, Any] = {
        "project": loc.name, "path": loc.rel, "project_type": None, "platform_parent": loc.platform_parent,
        "has_metadata": loc.has_metadata, "has_io_config": loc.has_io_config, "metadata": None,
        "retry_config": None, "queue_config": None, "notification_config": None, "variables_dir": None,
        "n_pipelines": len(loc.pipeline_dirs), "metadata_text": None, "python_tags": False,
        "sub_projects": sorted(loc.sub_projects.values()),
        "global_data_products": global_data_product_uuids(root, loc.path, prefix, problems, loc.name),
    }
    if loc.has_metadata:
        text = read_text_in_repo(root, loc.path / "metadata.yaml", problems, project=loc.name)
        if text is not None:
            loaded = load_yaml(text, prefix + "metadata.yaml", problems, jinja=True, project=loc.name)
            row["python_tags"] = loaded.python_tags
            row["metadata_text"] = redact_text(text)
            meta = loaded.data if isinstance(loaded.data, dict) else None
            if loaded.ok and loaded.data is not None and meta is None:
                problems.add(prefix + "metadata.yaml", "project", "metadata.yaml is not a mapping", loc.name)
            if meta is not None:
                meta = redact(meta)
                row.update(metadata=meta, project_type=meta.get("project_type"),
                           variables_dir=None if meta.get("variables_dir") is None else str(meta.get("variables_dir")))
                for key in ("retry_config", "queue_config", "notification_config"):
                    row[key] = meta.get(key) if isinstance(meta.get(key), dict) else None
    if loc.has_io_config:
        text = read_text_in_repo(root, loc.path / "io_config.yaml", problems, project=loc.name)
        if text is not None:
            loaded = load_yaml(text, prefix + "io_config.yaml", problems, jinja=True, project=loc.name)
            row["python_tags"] = row["python_tags"] or loaded.python_tags
            io_rows.extend(io_config_rows(loaded.node, loc.name, prefix + "io_config.yaml") if loaded.ok else [])
    return row


def _owner_of(rel: str, project_rels: dict[str, ProjectLocation]) -> tuple[ProjectLocation, str, str] | None:
    """(project, block type folder, uuid path) when ``rel`` lies in a project's block folder."""
    parts = rel.split("/")
    for index in range(len(parts) - 1):
        if parts[index] in BLOCK_TYPE_FOLDERS:
            project = project_rels.get("/".join(parts[:index]) or ".")
            if project is not None:
                return project, parts[index], "/".join(parts[index + 1:])
    return None


class _Measurer:
    """Measures block files on the workers while the caller goes on reading pipelines."""

    def __init__(self, jobs: list[tuple[str, int, str, str]], workers: WorkerPool, security: bool = False,
                 cache: FileCache | None = None) -> None:
        self.cache = cache
        # Paths go out, plain dicts come back.
        chunk = workers.chunk_size(len(jobs), _CHUNK)
        self.pending = [workers.submit(measure_many, jobs[i:i + chunk], security, cache).result
                        for i in range(0, len(jobs), chunk)]

    def results(self, progress: Callable[[int], None] | None = None) -> list[tuple[dict, list, Any]]:
        """(metrics, problems, security facts or None) per job, in job order. New results go
        into the cache. ``progress(done)`` after each batch."""
        results: list[tuple[dict, list, Any]] = []
        new_entries: list[tuple[str, bytes]] = []
        for pending in self.pending:
            batch, entries = pending()
            results.extend(batch)
            new_entries.extend(entries)
            if progress is not None:
                progress(len(results))
        if self.cache is not None:
            self.cache.store(new_entries)
        return results


def _read_pipeline_batch(root: Path, loc: ProjectLocation, folders: list[str]
                         ) -> list[tuple[PipelineResult, list[dict[str, Any]], list]]:
    """(result, trigger rows, input problems) of each pipeline folder: a task for the workers."""
    ctx = ProjectContext(root=root, path=loc.path, rel=loc.rel, name=loc.name)
    out = []
    for folder in folders:
        problems = ProblemLog()
        result = read_pipeline(ctx, folder, problems)
        triggers: list[dict[str, Any]] = []
        if result.row["has_triggers_yaml"]:
            rel = result.row["path"].rsplit("/", 1)[0] + "/triggers.yaml"
            text = read_text_in_repo(root, loc.path / "pipelines" / folder / "triggers.yaml", problems,
                                     project=loc.name)
            if text is not None:
                triggers = read_triggers(text, rel, loc.name, folder, problems)
        out.append((result, triggers, list(problems)))
    return out


def _folder_file_rows(files: list[RepoFile], project_rels: dict[str, ProjectLocation]) -> list[dict[str, Any]]:
    """``block_files`` rows (path facts only) of the files inside the projects' block folders."""
    rows: list[dict[str, Any]] = []
    for repo_file in files:
        name = repo_file.rel.rsplit("/", 1)[-1]
        if name == "__init__.py" or os.path.splitext(name)[1].lower() not in BLOCK_FILE_EXTENSIONS:
            continue
        owner = _owner_of(repo_file.rel, project_rels)
        if owner is None:
            continue
        project, folder, uuid_path = owner
        rows.append(_file_row(project.name, repo_file, BLOCK_TYPE_FOLDERS[folder], uuid_path))
    return rows


def _jobs(rows: list[dict[str, Any]], by_rel: dict[str, RepoFile]) -> list[tuple[str, int, str, str]]:
    return [(by_rel[row["path"]].path, by_rel[row["path"]].size, row["language"], row["path"]) for row in rows]


def _block_file_rows(rows: list[dict[str, Any]], measured: _Measurer, by_rel: dict[str, RepoFile],
                     project_rels: dict[str, ProjectLocation], used_by: dict[str, set],
                     entry_types: dict[str, tuple[str, str]], problems: ProblemLog,
                     workers: WorkerPool, security: dict[str, Any] | None,
                     progress: Callable[[int, int], None]) -> list[dict[str, Any]]:
    """Complete ``block_files``: ``rows`` (block-folder files, being measured by ``measured``)
    plus files used by entries outside the block folders, with usage counts and metrics."""
    listed = {row["path"] for row in rows}
    extra: list[dict[str, Any]] = []
    # Files used by entries outside the block folders (dbt models, file_path overrides).
    for rel, (project_name, block_type) in sorted(entry_types.items()):
        if rel in listed or rel not in by_rel:
            continue
        project_prefix = next((p.rel for p in project_rels.values() if p.name == project_name), ".")
        inner = rel if project_prefix == "." else rel[len(project_prefix) + 1:]
        extra.append(_file_row(project_name, by_rel[rel], block_type, inner))
    total = len(rows) + len(extra)
    results = measured.results(lambda done: progress(done, total))
    results += _Measurer(_jobs(extra, by_rel), workers, security is not None, measured.cache).results()
    progress(total, total)
    rows = rows + extra
    for row, (metrics, file_problems, file_security) in zip(rows, results):
        if security is not None and file_security is not None:
            security[row["path"]] = file_security
        pipelines = used_by.get(row["path"], ())
        row.update(referenced=bool(pipelines), n_pipelines=len(pipelines))
        row.update(metrics)
        for kind, reason in file_problems:
            problems.add(row["path"], kind, reason, row["project"])
    return rows


def _without_suffix(rel: str) -> str:
    """``PurePosixPath(rel).with_suffix("")`` for a normalised relative path, without pathlib's
    parsing (40,000 calls on a big repo)."""
    head, slash, name = rel.rpartition("/")
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        name = name[:dot]
    return head + slash + name


def _file_row(project: str, repo_file: RepoFile, block_type: str, uuid_path: str) -> dict[str, Any]:
    uuid = _without_suffix(uuid_path)
    row = {"project": project, "path": repo_file.rel, "block_type": block_type, "block": uuid,
           "language": language_for(repo_file.rel), "subfolder_depth": uuid.count("/")}
    row.update(empty_metrics(repo_file.size))
    return row


Progress = Callable[[str, int, int], None]   # (stage, done, total), see read_repo


def read_repo(path: str | os.PathLike, *, exclude: Iterable[str] = (), workers: int | None = None,
              security_prescan: bool = False, cache: bool | FileCache = True,
              progress: Progress | None = None) -> RepoInventory:
    """Read every Mage project under ``path`` into a :class:`RepoInventory`.

    ``exclude`` holds repo-relative globs (``vendor/**``) left out of discovery and walking.
    ``workers`` caps the processes that measure block files (default: CPUs, at most 4; 1 =
    in-process). With ``security_prescan`` the workers also run the per-file security
    detectors on the block files they read (``security_prescan``, rel path ->
    :class:`~auditkit.readers.security.filescan.FileSecurity`), which :func:`scan_security`
    then need not read again. ``cache``: per-file results are looked up by content in the
    cache of :mod:`auditkit.readers.filecache` (True: the default cache, which
    ``AUDITKIT_CACHE_DIR=off`` turns off; False: none). ``progress(stage, done, total)`` is
    called as pipelines and block files are read (stages ``"pipelines"`` and ``"block files"``),
    for a progress bar on big repos. Raises :class:`NotAMageRepo` when no project is found;
    every other problem becomes a row of ``input_problems``.
    """
    root = Path(path).resolve()
    exclude = tuple(exclude)
    problems = ProblemLog()
    locations = find_projects(root, exclude, problems)
    files = list(iter_repo_files(root, exclude, problems=problems))
    project_rels = {loc.rel: loc for loc in locations}
    by_rel = {f.rel: f for f in files}
    folder_rows = _folder_file_rows(files, project_rels)
    file_cache = FileCache.open_default(outside=root) if cache is True else (cache or None)
    if file_cache is not None and is_within(root, Path(file_cache.path).parent):
        file_cache = None   # a cache inside the audited repo would write into it
    pool = WorkerPool(workers, len(folder_rows), PARALLEL_MIN_FILES)
    security: dict[str, Any] | None = {} if security_prescan else None
    try:
        # The workers take the pipelines first, then the block files; this process reads the
        # projects' own files and collects results in order (the same rows as in-process).
        pipelines = _submit_pipelines(root, locations, pool)
        measured = _Measurer(_jobs(folder_rows, by_rel), pool, security_prescan, file_cache)
        rows, used_by, entry_types = _read_projects(root, locations, problems, pipelines,
                                                    _stage(progress, "pipelines"))
        rows["block_files"] = _block_file_rows(folder_rows, measured, by_rel, project_rels, used_by,
                                               entry_types, problems, pool, security,
                                               _stage(progress, "block files"))
    finally:
        pool.close()
    frames = {name: _frame(name, rows[name]) for name in FRAME_COLUMNS if name != "input_problems"}
    inventory = RepoInventory(root=str(root), input_problems=problems.frame(), **frames)
    if security is not None:
        inventory.security_prescan = security
    return inventory


def _stage(progress: Progress | None, stage: str) -> Callable[[int, int], None]:
    """``progress`` bound to one stage; a no-op without one. A failing callback (a closed
    terminal) never stops the reading."""
    def report(done: int, total: int) -> None:
        if progress is not None:
            try:
                progress(stage, done, total)
            except Exception:  # noqa: BLE001 - progress display is best effort
                pass
    return report


def _submit_pipelines(root: Path, locations: list[ProjectLocation], pool: WorkerPool) -> list[list[Callable]]:
    """Per project, the pending batches of :func:`_read_pipeline_batch`."""
    pending = []
    for loc in locations:
        folders = list(loc.pipeline_dirs)
        chunk = pool.chunk_size(len(folders), 50)
        pending.append([pool.submit(_read_pipeline_batch, root, loc, folders[i:i + chunk]).result
                        for i in range(0, len(folders), chunk)])
    return pending


def _read_projects(root: Path, locations: list[ProjectLocation], problems: ProblemLog,
                   pipelines: list[list[Callable]], progress: Callable[[int, int], None]
                   ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, set], dict[str, tuple[str, str]]]:
    """Rows of every frame but ``block_files``, which files each pipeline uses and the block
    type of each file an entry points at. ``pipelines``: per project, the pending batches of
    :func:`_read_pipeline_batch`."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    used_by: dict[str, set] = defaultdict(set)
    entry_types: dict[str, tuple[str, str]] = {}
    total = sum(len(loc.pipeline_dirs) for loc in locations)
    done = 0
    progress(done, total)
    for loc, batches in zip(locations, pipelines):
        rows["projects"].append(_read_project_files(root, loc, problems, rows["io_config"]))
        for batch in batches:
            items = batch()
            done += len(items)
            progress(done, total)
            for result, triggers, pipeline_problems in items:
                folder = result.row["pipeline"]
                problems.extend(pipeline_problems)
                rows["pipelines"].append(result.row)
                rows["blocks"].extend(result.blocks)
                rows["edges"].extend(result.edges)
                for rel in result.referenced:
                    used_by[rel].add((loc.name, folder))
                for block in result.blocks:
                    if block["path"] and block["file_exists"]:
                        entry_types.setdefault(block["path"], (loc.name, block["block_type"]))
                rows["triggers"].extend(triggers)
    return rows, used_by, entry_types
