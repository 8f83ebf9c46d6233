"""One pipeline's ``metadata.yaml``: the pipeline row, its block entries and their files.

Block entries come from ``blocks``, ``callbacks``, ``conditionals``, ``widgets`` and
``extensions.<name>.blocks``. Each entry is resolved to its file the way Mage does
(reference §1.3): type folder (+s, ``custom`` singular, YAML dbt blocks in ``dbts/``),
extension by language, nested uuids as subfolders, ``configuration.file_source.path`` /
``file_path`` overrides (relative to the project root, prefixed with the project name, or
legacy relative to ``dbt/``), dbt SQL models by uuid, and no file at all for replicated and
``global_data_product`` blocks. A path that would leave the repository is an input problem.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from auditkit.model import ProblemLog
from auditkit.readers.graph import graph_measures, pipeline_edges
from auditkit.readers.ioconfig import redact
from auditkit.readers.paths import read_text_in_repo, resolve_file_in_repo
from auditkit.readers.pipeline_keys import structure_problems
from auditkit.readers.yamlsafe import load_yaml

SECTIONS = ("blocks", "callbacks", "conditionals", "widgets")
EXTENSION_BY_LANGUAGE = {"python": "py", "sql": "sql", "r": "r", "yaml": "yaml", "markdown": "md"}
FOLDER_BY_TYPE = {
    "data_loader": "data_loaders", "transformer": "transformers", "data_exporter": "data_exporters",
    "custom": "custom", "sensor": "sensors", "conditional": "conditionals", "callback": "callbacks",
    "extension": "extensions", "scratchpad": "scratchpads", "chart": "charts", "markdown": "markdowns",
    "dbt": "dbts",
}
NO_FILE_TYPES = frozenset({"global_data_product"})
NON_EXECUTABLE_TYPES = frozenset({"markdown", "chart", "scratchpad"})  # Mage creates no block runs


@dataclass
class ProjectContext:
    """What resolving a block path needs to know about its project."""

    root: Path          # resolved repository root
    path: Path          # resolved project folder
    rel: str            # project folder, repo-relative ("." for the root)
    name: str
    # Resolved folders, kept for this read only (see resolve_in_repo's dir_cache).
    dir_cache: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class PipelineResult:
    row: dict[str, Any]
    blocks: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    referenced: list[str] = field(default_factory=list)   # repo-relative files this pipeline uses


def clean_name(name: str) -> str:
    """Mage's ``clean_name(name, allow_characters=['/'])`` (reference §1.3)."""
    text = re.sub(r"[\ufeff\"$\n\r\t]", "", str(name)).strip()
    text = re.sub(r"[^\w/]", "_", text)
    if text[:1].isdigit():
        text = "letter_" + text
    return text.lower()


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None and not isinstance(v, (dict, list))]
    return [str(value)]


def _dict_or_none(value: Any) -> dict | None:
    return redact(value) if isinstance(value, dict) else None


def _project_rel(ctx: ProjectContext, relative: str) -> str:
    joined = os.path.normpath(os.path.join(ctx.rel, relative)) if ctx.rel != "." else os.path.normpath(relative)
    # On POSIX a normalised path already is its POSIX form; pathlib is slow on 48k entries.
    return joined if os.sep == "/" else PurePosixPath(Path(joined)).as_posix()


def _candidate(ctx: ProjectContext, relative: str) -> tuple[str | None, bool]:
    """(repo-relative path, exists) for a path relative to the project; (None, False) if outside."""
    resolved, is_file = resolve_file_in_repo(str(ctx.root), relative, str(ctx.path), dir_cache=ctx.dir_cache)
    if resolved is None:
        return None, False
    return _project_rel(ctx, relative), is_file


def resolve_configured_path(ctx: ProjectContext, configured: str) -> tuple[str | None, bool, bool]:
    """Resolve ``file_source.path`` / ``file_path``: (path, exists, left_repo)."""
    text = str(configured).replace("\\", "/")
    if os.path.isabs(text):
        parts = PurePosixPath(text).parts
        if ctx.name not in parts:
            return None, False, True
        text = "/".join(parts[len(parts) - parts[::-1].index(ctx.name):])
    parts = PurePosixPath(text).parts
    options = []
    if parts and parts[0] == ctx.name:
        options.append("/".join(parts[1:]))   # prefixed with the project name
    options += [text, f"dbt/{text}"]           # project-relative, then legacy dbt v1
    first_inside, any_outside = None, False
    for option in options:
        rel, exists = _candidate(ctx, option)
        if rel is None:
            any_outside = True
            continue
        if exists:
            return rel, True, False
        first_inside = first_inside or rel
    # A path that leaves the repo under some reading and exists under none is reported as
    # leaving the repo, not as a missing file at a made-up location inside it.
    if any_outside:
        return None, False, True
    return first_inside, False, first_inside is None


def resolve_block_path(ctx: ProjectContext, entry: dict[str, Any]) -> tuple[str | None, str, bool, bool]:
    """Where an entry's code lives: (path, path_source, file_exists, left_repo)."""
    block_type = entry.get("block_type")
    configuration = entry.get("configuration") if isinstance(entry.get("configuration"), dict) else {}
    uuid = entry["block"]
    language = entry.get("language") or ("sql" if block_type == "dbt" else "python")
    if entry.get("replicated_block") or block_type in NO_FILE_TYPES:
        return None, "none", False, False
    file_source = configuration.get("file_source") if isinstance(configuration.get("file_source"), dict) else {}
    for source, configured in (("file_source.path", file_source.get("path")),
                               ("file_path", configuration.get("file_path"))):
        if isinstance(configured, str) and configured.strip():
            path, exists, left = resolve_configured_path(ctx, configured.strip())
            return path, source, exists, left
    if block_type == "dbt" and language != "yaml":
        # dbt SQL blocks: the uuid is the model path (without extension) under the project.
        path, exists, left = resolve_configured_path(ctx, f"{uuid}.sql")
        return path, "dbt", exists, left
    folder = FOLDER_BY_TYPE.get(block_type)
    extension = EXTENSION_BY_LANGUAGE.get(language)
    if folder is None or extension is None:
        return None, "none", False, False
    path, exists = _candidate(ctx, f"{folder}/{uuid}.{extension}")
    return path, "default", exists, path is None


def _iter_entries(config: dict, path: str, problems: ProblemLog, project: str):
    for section in SECTIONS:
        items = config.get(section)
        if items is None:
            continue
        if not isinstance(items, list):
            continue            # reported by structure_problems
        for item in items:
            yield section, None, item
    extensions = config.get("extensions")
    if isinstance(extensions, dict):
        for extension_uuid, extension in extensions.items():
            items = extension.get("blocks") if isinstance(extension, dict) else None
            for item in items if isinstance(items, list) else []:
                yield "extensions", str(extension_uuid), item


def _entry_row(ctx: ProjectContext, pipeline: str, section: str, extension: str | None,
               item: dict) -> dict[str, Any]:
    configuration = item.get("configuration") if isinstance(item.get("configuration"), dict) else {}
    raw_uuid = item.get("uuid") if item.get("uuid") not in (None, "") else item.get("name")
    dynamic = configuration.get("dynamic")
    row = {
        "project": ctx.name, "pipeline": pipeline, "block": str(raw_uuid) if item.get("uuid") else clean_name(raw_uuid),
        "name": item.get("name"), **{column: item.get(k) if isinstance(item.get(k), str) else None
           for column, k in (("block_type", "type"), ("language", "language"))},
        "section": section, "extension": extension or item.get("extension_uuid"),
        "upstream": _as_list(item.get("upstream_blocks")), "downstream": _as_list(item.get("downstream_blocks")),
        "retry_config": _dict_or_none(item.get("retry_config")), "executor_type": item.get("executor_type"),
        "timeout": item.get("timeout"), "configuration": redact(configuration),
        "is_dynamic": bool(dynamic) if not isinstance(dynamic, dict) else bool(dynamic.get("parent")),
        "reduce_output": bool(configuration.get("reduce_output")) or (
            isinstance(dynamic, dict) and bool(dynamic.get("reduce_output"))),
        "replicated_block": item.get("replicated_block"), "has_callback": bool(item.get("has_callback")),
    }
    return row


def read_pipeline(ctx: ProjectContext, folder: str, problems: ProblemLog) -> PipelineResult:
    """Read ``pipelines/<folder>/metadata.yaml`` (and note whether triggers.yaml exists)."""
    pipeline_dir = ctx.path / "pipelines" / folder
    rel = _project_rel(ctx, f"pipelines/{folder}/metadata.yaml")
    row = _unread_pipeline_row(ctx, folder, rel, has_triggers_yaml=(pipeline_dir / "triggers.yaml").is_file())
    result = PipelineResult(row=row)
    text = read_text_in_repo(ctx.root, pipeline_dir / "metadata.yaml", problems, project=ctx.name)
    if text is None:
        return result
    loaded = load_yaml(text, rel, problems, project=ctx.name, keep_node=False)  # data only: faster
    row["python_tags"] = loaded.python_tags
    config = loaded.data
    if not loaded.ok:
        return result
    if config is None:
        config = {}
    if not isinstance(config, dict):
        problems.add(rel, "pipeline", "metadata.yaml is not a mapping", ctx.name)
        return result
    damaged = structure_problems(config)
    for reason in damaged:
        problems.add(rel, "pipeline_structure", reason, ctx.name)
    row.update(_pipeline_settings(config), readable=not damaged)
    for section, extension, item in _iter_entries(config, rel, problems, ctx.name):
        if not isinstance(item, dict) or (item.get("uuid") in (None, "") and item.get("name") in (None, "")):
            problems.add(rel, "pipeline", f"a '{section}' entry has no uuid or name; ignored", ctx.name)
            continue
        _add_block(ctx, rel, _entry_row(ctx, folder, section, extension, item), result, problems)
    edges = pipeline_edges(result.blocks)
    result.edges = [{"project": ctx.name, "pipeline": folder, "upstream": u, "downstream": d, "dangling": g}
                    for u, d, g in edges]
    executable = [b["block"] for b in result.blocks if b["section"] == "blocks"]
    row.update(graph_measures(executable, edges))
    row["n_entries"] = len(result.blocks)
    row["n_blocks"] = sum(1 for b in result.blocks
                          if b["section"] == "blocks" and b["block_type"] not in NON_EXECUTABLE_TYPES)
    return result


def _unread_pipeline_row(ctx: ProjectContext, folder: str, rel: str, has_triggers_yaml: bool) -> dict[str, Any]:
    """The pipeline's row before its metadata.yaml is read (what stays when it cannot be)."""
    return {
        "project": ctx.name, "pipeline": folder, "uuid_in_yaml": None, "name": None, "pipeline_type": None,
        "path": rel, "description": None, "tags": [], "n_blocks": 0, "n_entries": 0,
        "executor_type": None, "executor_count": None, "run_pipeline_in_one_process": None,
        "concurrency_config": None, "retry_config": None, "notification_config": None,
        "cache_block_output_in_memory": None, "settings": None,
        "has_triggers_yaml": has_triggers_yaml,
        "readable": False, "python_tags": False,
        **graph_measures([], []),
    }


def _pipeline_settings(config: dict) -> dict[str, Any]:
    """The row's fields read from a metadata.yaml mapping (name, type, executor, retries...)."""
    one_process = config.get("run_pipeline_in_one_process")
    return dict(
        readable=True, uuid_in_yaml=config.get("uuid"), name=config.get("name"),
        pipeline_type=config.get("type") or "python", description=config.get("description"),
        tags=_as_list(config.get("tags")), executor_type=config.get("executor_type"),
        executor_count=config.get("executor_count"),
        run_pipeline_in_one_process=one_process if isinstance(one_process, bool) else None,
        concurrency_config=_dict_or_none(config.get("concurrency_config")),
        retry_config=_dict_or_none(config.get("retry_config")),
        notification_config=_dict_or_none(config.get("notification_config")),
        cache_block_output_in_memory=config.get("cache_block_output_in_memory"),
        settings=_dict_or_none(config.get("settings")),
    )


def _add_block(ctx: ProjectContext, rel: str, entry: dict[str, Any], result: PipelineResult,
               problems: ProblemLog) -> None:
    """Add one block entry with the file it points to; the files it references (its code and
    a legacy ``callbacks/<block>_callback.py``) count as referenced."""
    path, source, exists, left = resolve_block_path(ctx, entry)
    if left:
        problems.add(rel, "outside_repo",
                     f"block {entry['block']!r} points outside the repository; not followed", ctx.name)
    entry.update(path=path, path_source=source, file_exists=exists)
    result.blocks.append(entry)
    if path is not None and exists:
        result.referenced.append(path)
    if entry["has_callback"]:
        legacy, legacy_exists = _candidate(ctx, f"callbacks/{entry['block']}_callback.py")
        if legacy and legacy_exists:
            result.referenced.append(legacy)
