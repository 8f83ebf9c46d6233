"""Set-up files agree with each other: pyproject.toml, environment.yml, README, .ci/run."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

# PyPI name -> conda-forge name where they differ.
CONDA_NAMES = {"pyyaml": "pyyaml", "sqlalchemy": "sqlalchemy", "jinja2": "jinja2"}


def _split(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    name, spec = match.group(1).lower(), match.group(2).replace(" ", "")
    return CONDA_NAMES.get(name, name), spec


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str) and not d.startswith(("python", "pip")))
    assert conda == wanted


def test_readme_quick_start_has_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^\s*(make \w+)\s*$", quick, flags=re.M)
    assert commands == ["make report", "make test"]


def test_ci_runs_the_readme_test_command_strictly():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test\b", script, flags=re.M)
    assert "AUDITKIT_STRICT=1" in script
    assert "apt-get update" in script and "postgresql" in script and "chromium" in script


def test_notebooks_are_committed_without_outputs():
    import nbformat
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"
        params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(params) == 1, f"{path.name} needs exactly one parameters cell"


def test_every_parameter_is_visible_to_papermill():
    """papermill --help-notebook and the runner's parameter filter see every parameter line."""
    import nbformat
    from papermill.translators import PythonTranslator

    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        lines = [l for l in cell.source.splitlines() if l.strip() and not l.lstrip().startswith("#")]
        parsed = PythonTranslator.inspect(cell)
        assert len(parsed) == len(lines), f"{path.name}: papermill cannot parse {lines}"
        assert all(p.inferred_type_name != "None" and p.help for p in parsed), f"{path.name}: give each parameter a type hint and a comment"


def test_ci_installs_the_mage_version_the_live_test_expects():
    from mage_live import MAGE_VERSION

    script = (ROOT / ".ci" / "run").read_text()
    assert f"MAGE_AI_VERSION={MAGE_VERSION}\n" in script
    assert '"mage-ai==$MAGE_AI_VERSION"' in script
    assert "export AUDITKIT_MAGE_VENV" in script
    assert script.index("export AUDITKIT_MAGE_VENV") < script.index("make test")
