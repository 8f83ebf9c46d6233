"""Environment drift: dev, staging and production of one Mage repo side by side.

``run_drift(repo, ["dev=development", "staging=staging", "prod=main"])`` reads each
environment (a git ref, read with plumbing only, or a folder), compares them and runs the drift
rules; the result is a :class:`~auditkit.drift.result.DriftResult` of plain frames. See
``auditkit drift --help``. Names are loaded on first use, so importing a submodule (the CLI's
options) stays cheap.
"""
from __future__ import annotations

import importlib

_EXPORTS = {"run_drift": "auditkit.drift.run", "open_drift": "auditkit.drift.run",
            "DriftResult": "auditkit.drift.result", "EnvSpec": "auditkit.drift.envs",
            "EnvSpecError": "auditkit.drift.envs", "parse_envs": "auditkit.drift.envs"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'auditkit.drift' has no attribute {name!r}")
