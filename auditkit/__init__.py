"""auditkit: audit workbook for Mage (mage-ai) data-pipeline repositories.

Public API for notebooks and scripts::

    import auditkit
    audit = auditkit.open_audit("path/to/repo")      # or run_audit(...)
    audit.inventory.blocks                           # pandas DataFrames
    audit.findings
"""
from auditkit.version import __version__  # noqa: E402

from auditkit.audit import Audit, open_audit, run_audit  # noqa: E402

__all__ = ["Audit", "open_audit", "run_audit", "__version__"]
