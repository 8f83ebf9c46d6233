"""Finding Mage projects: subfolders, several projects, platform parents, non-Mage folders."""
from __future__ import annotations

import pytest

from auditkit.model import ProblemLog
from auditkit.readers.discover import NotAMageRepo, find_projects
from auditkit.readers.repo import read_repo


def test_project_in_a_subfolder(fixtures_dir):
    [project] = find_projects(fixtures_dir / "repos" / "rich_repo")
    assert (project.name, project.rel) == ("mage_project", "mage_project")
    assert project.has_metadata and project.has_io_config and not project.platform_parent
    assert project.pipeline_dirs == ["bad_triggers", "broken_yaml", "dbt_models", "etl_daily", "null_language",
                                     "odd_pipeline", "outside_path", "python_tag"]


def test_two_projects_one_without_metadata_one_without_io_config(fixtures_dir):
    found = find_projects(fixtures_dir / "repos" / "two_projects_repo")
    # custom_templates/pipelines/<uuid>/metadata.yaml is a template, not a project
    assert [(p.rel, p.has_metadata, p.has_io_config) for p in found] == [
        ("etl", False, True), ("ml/mage_ml", True, False)]


def test_platform_parent_with_missing_sub_project(fixtures_dir):
    problems = ProblemLog()
    found = find_projects(fixtures_dir / "repos" / "multi_project_repo", problems=problems)
    assert [(p.rel, p.platform_parent) for p in found] == [(".", True), ("alpha", False), ("apps/beta", False)]
    assert found[0].sub_projects == {"alpha": "alpha", "beta": "apps/beta", "gamma": "gamma"}
    [missing] = [p for p in problems if p.kind == "missing_project"]
    assert missing.path == "settings.yaml" and "'gamma'" in missing.reason and "missing" in missing.reason


def test_not_a_mage_repo_raises(fixtures_dir, tmp_path):
    with pytest.raises(NotAMageRepo):
        read_repo(fixtures_dir / "repos" / "not_mage")
    with pytest.raises(NotAMageRepo):
        read_repo(tmp_path / "does_not_exist")


def test_skip_dirs_and_exclude_globs(tmp_path, fixtures_dir):
    import shutil
    shutil.copytree(fixtures_dir / "repos" / "two_projects_repo", tmp_path / "r")
    # A project copied under node_modules and one under an excluded folder are not projects.
    shutil.copytree(tmp_path / "r" / "etl", tmp_path / "r" / "node_modules" / "etl")
    shutil.copytree(tmp_path / "r" / "etl", tmp_path / "r" / "vendor" / "etl")
    found = find_projects(tmp_path / "r", exclude=["vendor/**"])
    assert [p.rel for p in found] == ["etl", "ml/mage_ml"]
