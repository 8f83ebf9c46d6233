"""``auditkit notebooks DIR``: copies of the section notebooks with their parameters filled in,
for exploring in JupyterLab without editing (and then committing) the shipped notebooks.

Parameters are injected the way papermill does it (a cell tagged ``injected-parameters`` after
the ``parameters`` cell), so a copy can also be run again with ``papermill -p ...``. Only the
parameters a notebook declares are injected (read with ``papermill.inspect_notebook``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from papermill import inspect_notebook
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from auditkit.report.notebooks import available_sections, notebooks_dir


class WorkspaceError(Exception):
    """The workspace cannot be written where asked (the message says why)."""


@dataclass(frozen=True)
class WorkspaceFiles:
    folder: Path
    notebooks: tuple[Path, ...]


def write_workspace(folder: str | Path, parameters: dict[str, str], *, force: bool = False) -> WorkspaceFiles:
    """Write one copy of every section notebook into ``folder`` with ``parameters`` (name ->
    value; empty values are left to the notebook's defaults) injected.

    Raises :class:`WorkspaceError` when ``folder`` is the shipped notebooks folder, lies inside
    the audited repo (the audit never writes there), or already holds a notebook of the same
    name and ``force`` is not set.
    """
    target = Path(folder).expanduser().resolve()
    source = notebooks_dir().resolve()
    if target == source:
        raise WorkspaceError(f"{target} holds the shipped notebooks; choose another folder")
    repo = parameters.get("repo")
    if repo and target.is_relative_to(Path(repo).resolve()):
        raise WorkspaceError(f"{target} is inside the audited repo {repo}; auditkit never writes there")
    sections = available_sections(source)
    clashes = [target / f"{s.slug}.ipynb" for s in sections if (target / f"{s.slug}.ipynb").exists()]
    if clashes and not force:
        raise WorkspaceError(f"{clashes[0]} exists (and {len(clashes) - 1} more); pass --force to replace them")
    target.mkdir(parents=True, exist_ok=True)
    given = {name: value for name, value in parameters.items() if value}
    written = []
    for section in sections:
        path = source / f"{section.slug}.ipynb"
        declared = inspect_notebook(str(path))
        nb = load_notebook_node(str(path))      # papermill's reader: every cell gets its tags list
        nb = parameterize_notebook(nb, {k: v for k, v in given.items() if k in declared})
        out = target / path.name
        nbformat.write(nb, out)
        written.append(out)
    return WorkspaceFiles(target, tuple(written))
