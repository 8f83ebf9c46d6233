"""The global data products a project defines (``global_data_products.yaml``, reference §7.4).

Mage keeps them in one top-level mapping ``<uuid>: {object_type, object_uuid, ...}`` in the
project folder; a ``global_data_product`` block names one by
``configuration.global_data_product.uuid``.
"""
from __future__ import annotations

from pathlib import Path

from auditkit.model import ProblemLog
from auditkit.readers.paths import read_text_in_repo
from auditkit.readers.yamlsafe import load_yaml

FILE_NAME = "global_data_products.yaml"


def global_data_product_uuids(root: Path, project_dir: Path, rel_prefix: str, problems: ProblemLog,
                              project: str) -> list[str] | None:
    """The uuids defined in the project's ``global_data_products.yaml``; None when the file is
    absent or unreadable (an input problem then says why), [] when it defines none."""
    path = project_dir / FILE_NAME
    if not path.is_file():
        return None
    text = read_text_in_repo(root, path, problems, project=project)
    if text is None:
        return None
    loaded = load_yaml(text, rel_prefix + FILE_NAME, problems, jinja=True, project=project, keep_node=False)
    if not loaded.ok:
        return None
    if loaded.data is None:
        return []
    if not isinstance(loaded.data, dict):
        problems.add(rel_prefix + FILE_NAME, "yaml", "not a mapping of data product uuids", project)
        return None
    return sorted(str(key) for key in loaded.data)
