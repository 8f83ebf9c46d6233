"""`auditkit notebooks DIR REPO` gives a user copies to explore, never the shipped notebooks."""
from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from auditkit.cli import main
from auditkit.report.notebooks import available_sections, notebooks_dir

RICH = Path(__file__).resolve().parent / "fixtures" / "repos" / "rich_repo"


def _digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.glob("*.ipynb")))).hexdigest()


def test_copies_carry_the_parameters_and_audit_the_given_repo(tmp_path, capsys):
    shipped = _digest(notebooks_dir())
    workspace = tmp_path / "ws"
    assert main(["notebooks", str(workspace), str(RICH)]) == 0
    assert str(workspace.resolve()) in capsys.readouterr().out
    assert sorted(p.stem for p in workspace.glob("*.ipynb")) == sorted(s.slug for s in available_sections())
    assert _digest(notebooks_dir()) == shipped                      # the shipped ones are untouched
    nb = nbformat.read(workspace / "20_pipelines.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and f'repo = "{RICH}"' in injected[0].source
    # Executed where the user would open it, the copy audits the given repo, not the demo.
    out = tmp_path / "run.ipynb"
    pm.execute_notebook(str(workspace / "20_pipelines.ipynb"), str(out), kernel_name="python3",
                        progress_bar=False, cwd=str(workspace))
    text = out.read_text(encoding="utf-8")
    assert "etl_daily" in text and "error" not in {o.output_type for c in nbformat.read(out, 4).cells
                                                   if c.cell_type == "code" for o in c.outputs}


@pytest.mark.parametrize("where", ["shipped", "inside_repo"])
def test_refuses_the_shipped_folder_and_the_audited_repo(where, tmp_path, capsys):
    folder = notebooks_dir() if where == "shipped" else RICH / "workspace"
    assert main(["notebooks", str(folder), str(RICH)]) == 2
    assert "auditkit:" in capsys.readouterr().err
    assert not (RICH / "workspace").exists()


def test_existing_copies_are_kept_unless_forced(tmp_path, capsys):
    workspace = tmp_path / "ws"
    assert main(["notebooks", str(workspace)]) == 0
    mine = workspace / "10_blocks.ipynb"
    mine.write_text(mine.read_text(encoding="utf-8").replace("# Blocks", "# Blocks (my notes)"), encoding="utf-8")
    assert main(["notebooks", str(workspace), str(RICH)]) == 2
    assert "--force" in capsys.readouterr().err
    assert "my notes" in mine.read_text(encoding="utf-8")
    assert main(["notebooks", str(workspace), str(RICH), "--force"]) == 0
    assert "my notes" not in mine.read_text(encoding="utf-8")
