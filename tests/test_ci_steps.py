"""What CI runs (auditkit/readers/ci_steps.py): active, commented-out and disabled test steps."""
from __future__ import annotations

import subprocess

from auditkit.readers.ci_steps import ci_test_steps
from auditkit.readers.git import read_git

WORKFLOW = """name: deploy
on: push
jobs:
  test:
    if: false
    runs-on: ubuntu-latest
    steps:
      - run: python -m pytest -q
  deploy:
    runs-on: ubuntu-latest
    steps:
      # - run: auditkit check .
      - run: ./deploy.sh
"""


def test_disabled_and_commented_test_steps(tmp_path):
    (tmp_path / "ci.yml").write_text(WORKFLOW)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
    steps = ci_test_steps(str(tmp_path), [".github/workflows/deploy.yml", "ci.yml", "missing.yml"])
    assert steps[0] == {"path": ".github/workflows/deploy.yml", "active": [],
                        "disabled": [[8, "in a disabled job"], [12, "commented out"]]}
    # outside GitHub Actions only comments disable a step
    assert steps[1]["active"] == [8] and [p["path"] for p in steps] == [".github/workflows/deploy.yml", "ci.yml"]


def test_words_that_merely_contain_test_names_are_not_tests(tmp_path):
    (tmp_path / "Jenkinsfile").write_text("sh 'pip install pytest-cov'\nsh 'python attest.py'\nsh 'make tests'\n")
    assert ci_test_steps(str(tmp_path), ["Jenkinsfile"])[0]["active"] == [3]


def test_git_reader_carries_the_ci_test_steps(tmp_path):
    (tmp_path / "metadata.yaml").write_text("project_type: standalone\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "deploy.yml").write_text(WORKFLOW)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "feat: init"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True)
    git = read_git(str(tmp_path))
    assert git.ci_tests[0]["path"] == ".github/workflows/deploy.yml" and git.ci_tests[0]["active"] == []
