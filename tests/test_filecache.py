"""The per-file result cache: a warm audit gives exactly the cold result, without measuring again."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from auditkit.readers import filecache, filejob
from auditkit.readers import repo as repo_module
from auditkit.readers.filecache import FileCache
from auditkit.readers.repo import FRAME_COLUMNS, read_repo
from auditkit.readers.security import scan_security
from test_security_pool import _frames, _risky_repo

DEMO = Path(__file__).resolve().parents[1] / "auditkit" / "demo" / "project"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> FileCache:
    monkeypatch.setenv("AUDITKIT_CACHE_DIR", str(tmp_path / "cache"))
    opened = FileCache.open_default()
    assert opened is not None and Path(opened.path).parent == tmp_path / "cache"
    return opened


@pytest.fixture
def measured(monkeypatch) -> list[str]:
    """Repo paths of the files measured (not taken from the cache)."""
    seen: list[str] = []
    original = filejob.measure_file

    def spy(path, *args, **kwargs):
        seen.append(path)
        return original(path, *args, **kwargs)
    monkeypatch.setattr(filejob, "measure_file", spy)
    return seen


def _same_inventory(a, b) -> None:
    for name in FRAME_COLUMNS:
        left, right = getattr(a, name), getattr(b, name)
        pd.testing.assert_frame_equal(left.astype(str), right.astype(str), obj=name)


@pytest.mark.parametrize("repo", ["demo", "risky"])
def test_warm_read_equals_cold_read_and_measures_nothing(tmp_path, cache, measured, repo):
    root = DEMO if repo == "demo" else _risky_repo(tmp_path / "repo")
    cold = read_repo(root, workers=1, security_prescan=True, cache=cache)
    n_files = len(cold.block_files)
    assert len(measured) == n_files > 0
    with sqlite3.connect(cache.path) as db:
        assert db.execute("select count(*) from result").fetchone()[0] >= n_files - 1
    measured.clear()
    warm = read_repo(root, workers=1, security_prescan=True, cache=cache)
    assert measured == []
    _same_inventory(cold, warm)
    uncached = read_repo(root, workers=1, security_prescan=True, cache=False)
    _same_inventory(cold, uncached)
    for name, frame in _frames(scan_security(uncached)).items():
        pd.testing.assert_frame_equal(_frames(scan_security(warm))[name], frame, check_dtype=False)


def test_a_changed_file_is_measured_again_and_only_it(tmp_path, cache, measured):
    root = _risky_repo(tmp_path / "repo")
    read_repo(root, workers=1, cache=cache)
    target = root / "proj" / "transformers" / "evaluate.py"
    target.write_text(target.read_text() + "\n\ndef extra():\n    return 2\n")
    measured.clear()
    warm = read_repo(root, workers=1, cache=cache)
    assert measured == [str(target)]
    row = warm.block_files.set_index("path").loc["proj/transformers/evaluate.py"]
    assert "extra" in row["functions"]


def test_results_of_other_analyzer_code_are_not_used(tmp_path, cache, measured, monkeypatch):
    root = _risky_repo(tmp_path / "repo")
    read_repo(root, workers=1, cache=cache)
    measured.clear()
    newer = FileCache(cache.path, cache.version + "-changed")
    read_repo(root, workers=1, cache=newer)
    assert len(measured) > 5


@pytest.mark.parametrize("module", ["auditkit.readers.code_facts.walk", "auditkit.readers.code_facts.connections",
                                    "auditkit.readers.code"])
def test_analyzer_version_covers_every_module_of_a_package(monkeypatch, module):
    """An edit to any module that measures files, also one inside a package such as
    code_facts/ (not only its __init__), makes the cached results of the old code unreachable."""
    import importlib

    target = Path(importlib.import_module(module).__file__)
    before = filecache.analyzer_version.__wrapped__()
    original = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: original(self) + (b"#" if self == target else b""))
    assert filecache.analyzer_version.__wrapped__() != before


def test_worker_processes_share_the_cache(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(repo_module, "PARALLEL_MIN_FILES", 0)
    root = _risky_repo(tmp_path / "repo")
    # Workers are forked: they report each file they measure through a file.
    log = tmp_path / "measured.log"
    original = filejob.measure_file
    monkeypatch.setattr(filejob, "measure_file",
                        lambda path, *a, **k: (log.open("a").write(path + "\n"), original(path, *a, **k))[1])
    cold = read_repo(root, workers=2, security_prescan=True, cache=cache)
    assert len(log.read_text().splitlines()) == len(cold.block_files)
    log.unlink()
    warm = read_repo(root, workers=2, security_prescan=True, cache=cache)
    assert not log.exists()
    _same_inventory(cold, warm)


@pytest.mark.parametrize("damage", ["garbage", "wrong_table", "bad_blob"])
def test_a_damaged_cache_is_a_miss_not_an_error(tmp_path, cache, measured, damage):
    root = _risky_repo(tmp_path / "repo")
    clean = read_repo(root, workers=1, cache=False)
    if damage == "garbage":
        Path(cache.path).write_bytes(b"this is not sqlite" * 100)
    else:
        with sqlite3.connect(cache.path) as db:
            if damage == "wrong_table":
                db.execute("create table other (x)")
            else:
                # Every key the audit will look up holds bytes that are not an entry.
                db.execute("create table result (key text primary key, value blob not null)")
                for rel in clean.block_files["path"]:
                    data = (root / rel).read_bytes()
                    language = clean.block_files.set_index("path").loc[rel, "language"]
                    db.execute("insert into result values (?, ?)",
                               (cache.key(rel, language, False, data), b"not an entry"))
    measured.clear()
    again = read_repo(root, workers=1, cache=cache)
    assert len(measured) == len(clean.block_files)
    _same_inventory(clean, again)
    measured.clear()   # the cache repaired itself with good results: nothing is measured now
    read_repo(root, workers=1, cache=cache)
    assert measured == []


def test_cache_can_be_turned_off_and_never_lands_in_the_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITKIT_CACHE_DIR", "off")
    assert FileCache.open_default() is None
    monkeypatch.setenv("AUDITKIT_CACHE_DIR", str(tmp_path / "c"))
    root = _risky_repo(tmp_path / "repo")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    read_repo(root, workers=1)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert (tmp_path / "c" / filecache.CACHE_FILE).exists()


def test_unwritable_cache_folder_still_audits(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("AUDITKIT_CACHE_DIR", str(blocker / "cache"))
    assert FileCache.open_default() is None
    inventory = read_repo(_risky_repo(tmp_path / "repo"), workers=1)
    assert len(inventory.block_files) > 5


def test_a_cache_folder_inside_the_audited_repo_is_not_used(tmp_path, monkeypatch, measured):
    root = _risky_repo(tmp_path / "repo")
    monkeypatch.setenv("AUDITKIT_CACHE_DIR", str(root / ".cache" / "auditkit"))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    read_repo(root, workers=1)
    read_repo(root, workers=1)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert len(measured) == 2 * len(read_repo(root, workers=1, cache=False).block_files)


class _RunsCode:
    """Unpickling this calls ``open(marker, "w")``: proof that a loader ran code from the file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("payload", ["pickle", "json_object"])
def test_a_crafted_entry_runs_nothing_and_is_a_miss(tmp_path, cache, measured, payload):
    import json
    import pickle

    root = _risky_repo(tmp_path / "repo")
    clean = read_repo(root, workers=1, cache=False)
    marker = tmp_path / "ran"
    bomb = pickle.dumps(_RunsCode(tmp_path / "control"))
    pickle.loads(bomb)                          # the payload is live: unpickled, it writes a file
    assert (tmp_path / "control").exists()
    entry = pickle.dumps(_RunsCode(marker)) if payload == "pickle" else json.dumps(
        {"$obj": ["_RunsCode", {"marker": str(marker)}]})
    with sqlite3.connect(cache.path) as db:
        db.execute("create table result (key text primary key, value text not null)")
        for rel, language in zip(clean.block_files["path"], clean.block_files["language"]):
            db.execute("insert into result values (?, ?)",
                       (cache.key(rel, language, False, (root / rel).read_bytes()), entry))
    measured.clear()
    again = read_repo(root, workers=1, cache=cache)
    assert not marker.exists()
    assert len(measured) == len(clean.block_files)      # every crafted entry was a miss
    _same_inventory(clean, again)


def test_cached_results_are_json_text(tmp_path, cache):
    import json

    read_repo(_risky_repo(tmp_path / "repo"), workers=1, security_prescan=True, cache=cache)
    with sqlite3.connect(cache.path) as db:
        values = [v for (v,) in db.execute("select value from result")]
    assert values and all(isinstance(v, str) for v in values)
    for value in values:
        json.loads(value)                       # plain JSON, readable by any tool
