"""GATHER layer: readers return plain data (DataFrames), never findings."""
from auditkit.readers.discover import NotAMageRepo, ProjectLocation, find_projects
from auditkit.readers.paths import RepoFile, iter_repo_files, resolve_in_repo
from auditkit.readers.repo import FRAME_COLUMNS, RepoInventory, read_repo
from auditkit.readers.yamlsafe import load_yaml, yaml_has_python_tags

__all__ = [
    "NotAMageRepo", "ProjectLocation", "find_projects", "RepoFile", "iter_repo_files",
    "resolve_in_repo", "FRAME_COLUMNS", "RepoInventory", "read_repo", "load_yaml",
    "yaml_has_python_tags",
]
