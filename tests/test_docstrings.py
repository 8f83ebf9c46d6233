"""What a notebook user reaches with tab completion explains itself: every public function of
the analytics, plots and the audit, and every public method of History, has a docstring."""
from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import auditkit.analytics
import auditkit.plots
from auditkit.readers.history.core import History

MODULES = ["auditkit.audit"] + [f"{pkg.__name__}.{m.name}" for pkg in (auditkit.analytics, auditkit.plots)
                                 for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]


@pytest.mark.parametrize("name", MODULES)
def test_public_functions_have_docstrings(name):
    module = importlib.import_module(name)
    missing = [n for n, f in inspect.getmembers(module, inspect.isfunction)
               if f.__module__ == name and not n.startswith("_") and not inspect.getdoc(f)]
    assert missing == [], f"{name}: {missing}"


def test_history_public_methods_have_docstrings():
    missing = [n for n, member in vars(History).items() if not n.startswith("_")
               and callable(getattr(member, "fget", member)) and not inspect.getdoc(getattr(member, "fget", member))]
    assert missing == [], missing
