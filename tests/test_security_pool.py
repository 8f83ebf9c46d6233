"""The parallel secret scan gives exactly the in-process result."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditkit.readers.repo import read_repo
from auditkit.readers.security import generic_pool, scan_security

DEMO = Path(__file__).resolve().parents[1] / "auditkit" / "demo" / "project"


def _frames(scan) -> dict[str, pd.DataFrame]:
    return {name: getattr(scan, name).sort_values(list(getattr(scan, name).columns)[:3]).reset_index(drop=True)
            for name in ("secrets", "code_risks", "exposed_files")}


def test_worker_pool_matches_in_process_scan(monkeypatch):
    inventory = read_repo(DEMO)
    alone = _frames(scan_security(inventory))
    assert len(alone["secrets"]) > 0
    monkeypatch.setattr(generic_pool, "PARALLEL_MIN_FILES", 0)    # force the workers on the demo
    monkeypatch.setattr(generic_pool, "_CHUNK", 3)
    started = []
    original_init = generic_pool.GenericScanPool.__init__

    def spy_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        started.append(self.workers.pool is not None)

    monkeypatch.setattr(generic_pool.GenericScanPool, "__init__", spy_init)
    pooled = _frames(scan_security(inventory))
    assert started == [True], "the worker pool did not start"
    for name, frame in alone.items():
        pd.testing.assert_frame_equal(pooled[name], frame, check_dtype=False)


def _risky_repo(root: Path) -> Path:
    from tests.test_security_secrets import BLOCK, make_repo

    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7c1rGwbD\n-----END RSA PRIVATE KEY-----\n"
    return make_repo(root, {
        "proj/data_loaders/token.py": BLOCK.format(body='    api_key = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n    return api_key'),
        "proj/data_loaders/sql_built.py": BLOCK.format(
            body='    table = kwargs["t"]\n    return con.execute(f"SELECT * FROM {table}")'),
        "proj/transformers/evaluate.py": BLOCK.format(body='    return eval(kwargs["expr"])'),
        "proj/transformers/pii.py": BLOCK.format(body='    print(df["email"])\n    return df'),
        "proj/data_exporters/keyfile.py": key + BLOCK.format(body="    return 1"),
        "proj/data_loaders/query.sql": "-- password='Zx81!qLm77#vbNw2'\nselect 1\n",
        "proj/custom/notes.md": "aws_secret_access_key = AKIAIOSFODNN7EXAMPLEKEY\n",
        "proj/pipelines/p2/metadata.yaml": "blocks:\n- uuid: token\n  type: data_loader\nname: p2\nuuid: p2\n",
    })


def test_reader_prescan_gives_the_same_scan_and_is_not_read_again(tmp_path, monkeypatch):
    """The per-file detectors run in the repo reader's workers (``security_prescan``) find
    exactly what the scan's own loop finds, and the scan does not read those files again."""
    import auditkit.readers.repo as repo_module
    import auditkit.readers.security as security_module

    monkeypatch.setattr(repo_module, "PARALLEL_MIN_FILES", 0)   # workers=2 really uses processes
    repo = _risky_repo(tmp_path / "repo")
    plain = _frames(scan_security(read_repo(repo, workers=1)))
    assert len(plain["secrets"]) >= 2 and len(plain["code_risks"]) >= 3 and len(plain["exposed_files"]) >= 1
    for workers in (1, 2):
        inventory = read_repo(repo, workers=workers, security_prescan=True)
        prescanned = inventory.security_prescan
        assert "proj/data_loaders/token.py" in prescanned and "proj/data_loaders/query.sql" in prescanned
        assert "proj/custom/notes.md" not in prescanned     # markdown: the scan's own loop reads it
        read_paths: list[str] = []
        original = security_module.read_limited
        monkeypatch.setattr(security_module, "read_limited",
                            lambda path, size, *a: (read_paths.append(path), original(path, size, *a))[1])
        fused = _frames(scan_security(inventory))
        monkeypatch.setattr(security_module, "read_limited", original)
        assert not {str(repo / rel) for rel in prescanned} & set(read_paths)
        for name, frame in plain.items():
            pd.testing.assert_frame_equal(fused[name], frame, check_dtype=False)
