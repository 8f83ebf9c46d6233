"""auditkit's YAML fast paths give exactly what PyYAML's own safe loader gives.

``readers/yamlsafe.py`` builds plain documents straight from parser events and builds
alias-free trees without PyYAML's constructor: about twice as fast as CSafeLoader on a
2,000-pipeline repo (benchmarks/bench_yaml.py). Those shortcuts are only allowed because this
test compares them with the library on generated documents, on tricky hand-written ones, and
on every YAML file of the repo's fixtures and of the ecosystem checkouts when present.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.readers import yamlsafe

ROOT = Path(__file__).resolve().parents[1]
ECOSYSTEM = Path(os.environ.get("AUDITKIT_ECO_WORK", Path.home() / ".cache" / "auditkit-ecosystem"))


def library(text: str):
    """PyYAML's safe load, with auditkit's tag handling (python/unknown tags as markers)."""
    loader = yamlsafe._AuditLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def ours(text: str):
    result = yamlsafe.load_yaml(text, "x.yaml", keep_node=False)
    assert result.ok, text
    slow = yamlsafe.load_yaml(text, "x.yaml", keep_node=True)
    assert slow.ok and slow.data == result.data
    return result.data


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(["yes", "no", "on", "off", "~", "null", "0x1F", "1e3", ".inf", "2024-01-31 10:00:00",
                     "- a", "key: value", "{{ env_var('X') }}", "*ref", "&anchor", "!tag", "'quoted'"]),
)
keys = st.one_of(st.text(min_size=1, max_size=12), st.integers(0, 99), st.booleans(), st.none())
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=5)), max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans(), st.booleans())
def test_generated_documents_load_as_the_library_loads_them(doc, flow, sort_keys):
    text = yaml.safe_dump(doc, default_flow_style=flow, sort_keys=sort_keys, allow_unicode=True)
    assert ours(text) == library(text)


TRICKY = [
    "a: &x {b: 1}\nc: *x\n",                                   # anchors and aliases
    "base: &b {x: 1, y: 2}\nmerged:\n  <<: *b\n  y: 3\n",       # merge keys
    "? [a, b]\n: 1\n",                                          # collection key (PyYAML refuses)
    "a: !!python/object/apply:os.getcwd []\n",                  # python tag: a marker, never run
    "a: !custom 1\nb: !!str 2\nc: !!int '3'\n",                  # unknown and explicit tags
    "a: 1\n---\nb: 2\n",                                       # two documents
    "= : value\n",                                             # value key
    "",                                                        # empty stream
    "# only a comment\n",
    "a: [1, 2, {b: [3, {c: null}]}]\nd: 2024-01-31\ne: 2024-01-31T10:00:00Z\n",
    "a: |\n  line 1\n  line 2\nb: >\n  folded\n  text\n",
    "1: one\n2.5: two\ntrue: three\nnull: four\n2024-01-01: five\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_documents_load_as_the_library_loads_them(text):
    try:
        expected = library(text)
    except yaml.YAMLError:
        assert not yamlsafe.load_yaml(text, "x.yaml", keep_node=False).ok
        return
    except TypeError:       # unhashable key: PyYAML's constructor fails, so must ours
        assert not yamlsafe.load_yaml(text, "x.yaml", keep_node=False).ok
        return
    assert ours(text) == expected


def _real_yaml_files() -> list[Path]:
    roots = [ROOT / "auditkit" / "demo" / "project", ROOT / "tests" / "fixtures"]
    if ECOSYSTEM.is_dir():
        roots.append(ECOSYSTEM)
    found = []
    for root in roots:
        for base, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != ".git"]
            found += [Path(base, f) for f in files if f.endswith((".yaml", ".yml"))]
    return found


def test_real_files_load_as_the_library_loads_them():
    files = _real_yaml_files()
    assert len(files) > 20
    compared = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            expected = library(text)
        except Exception:   # noqa: BLE001 - malformed or hostile fixtures: ours must refuse too
            assert not yamlsafe.load_yaml(text, str(path), keep_node=False).ok, path
            continue
        assert ours(text) == expected, path
        compared += 1
    assert compared > 20
