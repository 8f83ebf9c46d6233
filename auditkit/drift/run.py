"""``run_drift``: read each environment, compare them, run the drift rules. Read-only throughout.

Order: resolve each ``--env`` to a git ref or a folder; list its files (blob ids); read it
into an inventory through a temporary skeleton (:mod:`auditkit.drift.snapshot`); compare
pipelines, settings, code, triggers, io_config and the project's configuration files; work out
the promotion state from the commit graph; open each environment's history when given; then
run the rules that need ``drift`` data (``ctx.drift``) with the user's configuration.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from auditkit.drift import compare_config as cc
from auditkit.drift import compare_pipelines as cp
from auditkit.drift.compare_code import code_diffs
from auditkit.drift.envs import EnvSpec, EnvSpecError, parse_env, production_index
from auditkit.drift.gitrepo import GitRepo
from auditkit.drift.history import history_side_by_side
from auditkit.drift.promotion import promotion_state
from auditkit.drift.result import DriftResult, drift_summary
from auditkit.drift.snapshot import EnvSnapshot, read_env
from auditkit.drift.trees import EnvTree, folder_tree, git_tree
from auditkit.model import InputProblem, findings_frame
from auditkit.readers.repo import NotAMageRepo

Progress = Callable[[str, int, int], None]


def resolve_tree(env: EnvSpec, root: Path, git: GitRepo | None, exclude: tuple[str, ...]) -> EnvTree:
    """The files of ``env``: a git ref of the audited repository, else a folder."""
    spec = env.spec
    folder_like = env.forced == "dir" or spec.startswith(("/", "./", "../", "~")) or spec in (".", "..")
    if not folder_like and env.forced != "dir":
        found = git.commit_of(spec) if git is not None else None
        if found is not None:
            return git_tree(env.resolved("git"), git, found[0], found[1], exclude)
        if env.forced == "git":
            raise EnvSpecError(f"--env {env.name}={spec}: no such git ref in {root}")
    folder = Path(os.path.expanduser(spec))
    if folder.is_dir():
        return folder_tree(env.resolved("folder"), folder, exclude)
    where = f"a git ref of {root}" if git is not None else f"a folder ({root} is not a git repository)"
    raise EnvSpecError(f"--env {env.name}={spec}: not {where}, nor a folder")


def _env_frame(trees: list[EnvTree], snaps: list[EnvSnapshot], prod: int) -> pd.DataFrame:
    rows = []
    for index, (tree, snap) in enumerate(zip(trees, snaps)):
        env = tree.env
        role = "production" if index == prod else "pre-production" if index == prod - 1 else \
            "earlier" if index < prod else "later"
        rows.append({"env": env.name, "spec": env.spec, "kind": env.kind, "ref": tree.ref, "commit": tree.commit,
                     "folder": tree.folder, "mage_env": env.mage_env, "role": role, "order": index,
                     "pipelines": int(len(snap.inventory.pipelines)), "files": len(tree.files),
                     "history": "yes" if (env.history or env.mage_data) else ""})
    return pd.DataFrame(rows)


def compare(snaps: list[EnvSnapshot], trees: list[EnvTree], prod: int) -> dict[str, pd.DataFrame]:
    """Every comparison frame of :class:`DriftResult` but findings, history and problems."""
    reference = snaps[prod].name
    sigs = [cp.signatures(s) for s in snaps]
    present = cp.presence(snaps, sigs, reference)
    metadata_changed = cp.changed_pipelines(sigs, "metadata")
    promotion = promotion_state(trees)
    return {
        "pipelines": present,
        "renames": cp.renames(snaps, sigs),
        "pipeline_settings": cp.setting_diffs(snaps, metadata_changed, present),
        "blocks": cp.block_diffs(snaps, metadata_changed, present),
        "code": code_diffs(snaps),
        "triggers": cc.trigger_diffs(snaps, cp.changed_pipelines(sigs, "triggers"), present),
        "trigger_reach": cc.trigger_reach(snaps),
        "io_config": cc.io_config_diffs(snaps),
        "project_settings": cc.project_setting_diffs(snaps),
        "requirements": cc.requirement_diffs(snaps),
        "dbt_profiles": cc.dbt_profile_diffs(snaps),
        "promotion": promotion.pairs,
        "promotion_commits": promotion.commits,
        "bypassed_files": promotion.bypassed_files,
        "timeline": promotion.timeline,
    }


def drift_rules() -> list:
    """The rules that read drift data (``needs`` holds ``drift``)."""
    from auditkit.engine.base import all_rules
    return [rule for rule in all_rules() if "drift" in rule.needs]


def run_drift(repo: str | os.PathLike, envs: list[EnvSpec | str], *, config: Any = None, since: str | None = None,
              until: str | None = None, workers: int | None = None, progress: Progress | None = None) -> DriftResult:
    """Compare the environments ``envs`` (promotion order) of the repository ``repo``.

    ``envs`` are :class:`EnvSpec` (or ``NAME=SPEC`` strings). ``config`` as for ``run_audit``
    (``<repo>/auditkit.yaml`` by default): exclusions, thresholds, severities and waivers apply
    to the drift rules. Raises :class:`EnvSpecError` for an environment that is neither a ref
    nor a folder, ``NotAMageRepo`` when no environment holds a Mage project, ``ConfigError``
    for a malformed configuration; everything else becomes an input problem.
    """
    from auditkit.audit import sort_findings
    from auditkit.config import load_config
    from auditkit.engine.base import RuleContext
    from auditkit.engine.run import EXPIRED_WAIVER_RULE, run_rules

    started = time.perf_counter()
    specs = [parse_env(e) if isinstance(e, str) else e for e in envs]
    if len(specs) < 2:
        raise EnvSpecError("drift needs at least two environments")
    root = Path(repo).resolve()
    if not root.is_dir():
        raise NotAMageRepo(f"{repo} is not a folder")
    cfg = load_config(config, root)
    git = GitRepo.open(root)
    exclude = tuple(cfg.exclude)
    trees = [resolve_tree(s, root, git, exclude) for s in specs]
    avoid = [root, *(t.folder for t in trees if t.folder)]
    snaps = []
    for index, tree in enumerate(trees):
        if progress is not None:
            progress("environments", index, len(trees))
        snaps.append(read_env(tree, exclude=exclude, avoid=avoid, workers=workers))
    if all(s.inventory.pipelines.empty and s.inventory.projects.empty for s in snaps):
        raise NotAMageRepo(f"no Mage project in any environment of {root}")
    prod = production_index([t.env for t in trees])
    frames = compare(snaps, trees, prod)
    history, history_problems = history_side_by_side([t.env for t in trees], since=since, until=until)
    problems: list[InputProblem] = [p for s in snaps for p in s.problems] + history_problems
    result = DriftResult(repo=str(root), envs=_env_frame(trees, snaps, prod), history=history,
                         input_problems=pd.DataFrame([p.__dict__ for p in problems],
                                                     columns=["path", "kind", "reason", "project"]),
                         **frames)
    ctx = RuleContext(drift=result, thresholds=cfg.thresholds)
    # Expired waivers are auditkit check's to report; here only the drift rules' findings count.
    found = [f for f in run_rules(ctx, cfg, rules=drift_rules()) if f.rule_id != EXPIRED_WAIVER_RULE]
    result.findings = sort_findings(findings_frame(found))
    result.summary = drift_summary(result)
    result.summary["seconds"] = round(time.perf_counter() - started, 2)
    return result


def open_drift(repo: str | None = None, envs: str | list[str] = "", *, env_history: str | dict = "",
               env_mage_data: str | dict = "", config: Any = None, since: str | None = None,
               until: str | None = None, drift_cache: str | None = None) -> DriftResult:
    """For notebooks: the drift result saved in ``drift_cache`` when it holds one, otherwise
    compare ``envs`` of ``repo`` now (the embedded demo's development and main when ``repo`` is
    empty). ``envs``, ``env_history`` and ``env_mage_data`` are ``NAME=VALUE`` lists, as text
    separated by commas or as lists/dicts."""
    from auditkit.drift.envs import parse_envs, split_env_list
    from auditkit.drift.result import DRIFT_FILE

    if drift_cache and (Path(drift_cache) / DRIFT_FILE).exists():
        try:
            return DriftResult.load(drift_cache)
        except (ValueError, OSError):
            if not repo:
                raise
    if not repo:
        from auditkit.demo.workspace import demo_for_notebooks
        repo, _, mage_data = demo_for_notebooks()
        envs = envs or DEMO_ENVS
        env_mage_data = env_mage_data or {"prod": mage_data}

    def listed(value) -> list[str]:
        if isinstance(value, dict):
            return [f"{k}={v}" for k, v in value.items()]
        return split_env_list(value) if isinstance(value, str) else list(value or [])

    specs = parse_envs(listed(envs), listed(env_history), listed(env_mage_data))
    return run_drift(repo, specs, config=config, since=since, until=until)


DEMO_ENVS = ["dev=development", "prod=main"]


def add_drift_to_audit(audit, repo: str | os.PathLike, envs: list[str], folder: str | os.PathLike, *,
                       env_mage_data: dict | None = None, config: Any = None, since: str | None = None,
                       until: str | None = None) -> Path:
    """For ``auditkit report --env``: compare the environments, save the result in ``folder``
    for the section notebook, and add the drift findings to ``audit`` (findings and summary)."""
    from auditkit.analytics.findings import findings_summary
    from auditkit.audit import sort_findings
    from auditkit.drift.envs import parse_envs

    mage_data = [f"{k}={v}" for k, v in (env_mage_data or {}).items()]
    result = run_drift(repo, parse_envs(envs, mage_data=mage_data), config=config, since=since, until=until)
    saved = result.save(folder)
    if len(result.findings):
        audit.findings = sort_findings(pd.concat([audit.findings, result.findings], ignore_index=True))
        audit.summary["findings"] = findings_summary(audit.findings)
    audit.summary["drift"] = {k: result.summary[k] for k in ("production", "pipelines", "differences", "promotion")}
    if len(result.input_problems):
        audit.input_problems = pd.concat([audit.input_problems, result.input_problems], ignore_index=True)
    return saved
