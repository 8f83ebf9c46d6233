"""A ready-to-audit copy of the embedded demo: a git repo plus a generated Mage data folder.

Built once per demo content (keyed by a hash of the packaged tree and the generators) in the
user's cache folder, so repeated ``auditkit demo`` runs and notebooks opened by hand reuse it.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
STAMP = ".auditkit-demo-ready"


@lru_cache(maxsize=1)
def _content_hash() -> str:
    digest = hashlib.sha256()
    sources = sorted(p for p in (DEMO_DIR / "project").rglob("*") if p.is_file())
    sources += [DEMO_DIR / "build.py", DEMO_DIR / "history.py", DEMO_DIR / "history_inputs.py"]
    for path in sources:
        if path.exists():
            digest.update(str(path.relative_to(DEMO_DIR)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def default_workspace() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "auditkit"
    return base / f"demo-{_content_hash()}"


def prepare_demo(dest: str | Path | None = None) -> tuple[str, str]:
    """Materialise the demo repo and its run history under ``dest``; return (repo, mage_data)."""
    from auditkit.demo.build import materialize_demo
    from auditkit.demo.history import generate_history

    dest = Path(dest) if dest else default_workspace()
    repo, mage_data = dest / "acme-analytics", dest / "mage_data"
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Several notebooks opened at once may all ask for the demo: build it once, under a lock.
    with open(dest.parent / f".{dest.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / STAMP).exists():
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            materialize_demo(repo)
            project = next(p.parent for p in sorted(repo.rglob("io_config.yaml")))
            generate_history(mage_data, project)
            (dest / STAMP).write_text(_content_hash())
    return str(repo), str(mage_data)


def demo_for_notebooks() -> tuple[str, None, str]:
    """(repo, history, mage_data) of the cached demo, for notebooks opened without a repo."""
    repo, mage_data = prepare_demo()
    return repo, None, mage_data
