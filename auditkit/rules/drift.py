"""Rules of environment drift (category ``deployment``): what runs in production was not what
was tested in the environment before it (``auditkit drift``).

They read ``ctx.drift`` (:class:`auditkit.drift.result.DriftResult`), which only
``auditkit drift`` and ``auditkit report --env`` gather, so ``auditkit check`` skips them. Most
compare production with the environment promoted into it (*pre-production*: staging, or
development when there is no staging). Some drift is what environments are for (a profile or a
schedule per environment); these rules report the drift the CI/CD guide warns about. When both
environments are git refs, "never tested" is read from the commit graph: production's version
came from a commit that did not pass through pre-production. Folder environments have no graph,
so there a difference alone is reported.
"""
from __future__ import annotations

from collections import defaultdict

import pandas as pd

from auditkit.engine.base import Rule, register
from auditkit.engine.frames import plural, short_list
from auditkit.readers.security.secrets import is_secret_name

ENV_KINDS = frozenset({"env_var", "mage_secret_var", "aws_secret_var", "azure_secret_var"})
RISK_FIELDS = ("retry_config", "concurrency_config", "executor_type", "executor_count", "run_pipeline_in_one_process")
RISK_BLOCK_FIELDS = ("retry_config", "executor_type", "timeout")
RISK_PROJECT_KEYS = ("retry_config", "queue_config")


class _DriftRule(Rule):
    category = "deployment"
    needs = frozenset({"drift"})

    @property
    def drift(self):
        return self.ctx.drift

    def pair(self) -> tuple[str | None, str | None]:
        """(pre-production, production) environment names."""
        return self.drift.pre_production, self.drift.production

    def direction_known(self, pre: str, prod: str) -> bool:
        return self.drift.is_git(pre) and self.drift.is_git(prod)

    def bypassed(self, pre: str, prod: str) -> set[str]:
        """Files production changed in commits that did not pass through pre-production."""
        files = self.drift.bypassed_files
        return set(files[(files["from_env"] == pre) & (files["to_env"] == prod)]["path"])


def _values(frame: pd.DataFrame, env_a: str, env_b: str, keys: list[str], value: str) -> list[tuple]:
    """(key..., value in a, value in b) for keys present in both environments' rows."""
    a = frame[frame["env"] == env_a].set_index(keys)[value]
    b = frame[frame["env"] == env_b].set_index(keys)[value]
    both = a.index.intersection(b.index)
    return [(*(k if isinstance(k, tuple) else (k,)), a[k], b[k]) for k in both]


@register
class UnstagedProductionPipeline(_DriftRule):
    """A pipeline is in production but was never in the environment before it.

    What it checks:
        Pipelines present in the production environment and absent from pre-production
        (staging, or development without staging). With git refs only pipelines added by a
        commit that did not pass through pre-production count (a pipeline pre-production has
        already deleted is a pending removal, not an untested one); renamed pipelines are left
        to the rename table. High when an active trigger runs it in production.

    Why it matters:
        The CI/CD guide promotes development -> staging -> main so that production runs only
        what staging validated. A pipeline that skipped staging runs against production data
        untested.

    Example:
        ``hotfix_export`` committed straight to ``main`` with a daily trigger, while ``staging``
        has never had it.

    Fix:
        Make the change on development and promote it through staging; for an urgent fix,
        merge main back into staging and validate it there at once.
    """

    id = "MAGE-DEP-101"
    name = "unstaged-production-pipeline"
    title = "Pipeline in production that never went through staging"
    severity = "medium"
    practices = ("CICD-BRANCH-MAIN", "CICD-BRANCH-STAGING")

    def check(self):
        pre, prod = self.pair()
        if pre is None or prod is None:
            return
        pipes = self.drift.pipelines
        in_pre = set(map(tuple, pipes[(pipes["env"] == pre) & pipes["present"]][["project", "pipeline"]].to_numpy()))
        renames = self.drift.renames
        renamed = set(map(tuple, renames[(renames["to_env"] == prod)][["project", "to_pipeline"]].to_numpy()))
        known = self.direction_known(pre, prod)
        bypassed = self.bypassed(pre, prod) if known else set()
        reach = self.drift.trigger_reach
        running = set(map(tuple, reach[(reach["env"] == prod) & reach["fires"].astype(bool)
                                       & (reach["status"].astype(str).str.lower() == "active")]
                          [["project", "pipeline"]].to_numpy()))
        for row in pipes[(pipes["env"] == prod) & pipes["present"]].to_dict("records"):
            key = (row["project"], row["pipeline"])
            if key in in_pre or key in renamed or (known and row["path"] not in bypassed):
                continue
            how = "was never in" if known else "is not in"
            runs = key in running
            yield self.finding(
                f"pipeline is in {prod} but {how} {pre}" + ("; an active trigger runs it there" if runs else ""),
                project=row["project"], pipeline=row["pipeline"], path=row["path"], key=(pre, prod),
                severity="high" if runs else None,
                evidence=f"added in {prod} by a commit that did not pass through {pre}" if known else None)


@register
class UntestedProductionSettings(_DriftRule):
    """Retry, concurrency or executor settings in production that pre-production never ran.

    What it checks:
        Pipeline ``retry_config``, ``concurrency_config``, ``executor_type``/``executor_count``
        and ``run_pipeline_in_one_process``, block ``retry_config``/``executor_type``/``timeout``
        and the project's ``retry_config``/``queue_config`` whose production value differs from
        pre-production's. With git refs only values set by a commit that did not pass through
        pre-production count (pre-production being ahead is a pending promotion).

    Why it matters:
        Retries, concurrency limits and executors decide how a pipeline behaves under failure
        and load; a value first seen in production has never been exercised in staging.

    Example:
        ``retry_config: {retries: 5}`` edited on ``main`` while ``staging`` runs ``retries: 1``.

    Fix:
        Change the setting on development and promote it through staging.
    """

    id = "MAGE-DEP-102"
    name = "untested-production-settings"
    title = "Retry or concurrency settings in production never tested before it"
    severity = "medium"
    practices = ("CICD-BRANCH-MAIN",)

    def _risky(self, field: str) -> bool:
        if field.startswith("block "):
            return field.rsplit(": ", 1)[-1] in RISK_BLOCK_FIELDS
        return field in RISK_FIELDS

    def check(self):
        pre, prod = self.pair()
        if pre is None or prod is None:
            return
        known = self.direction_known(pre, prod)
        bypassed = self.bypassed(pre, prod) if known else set()
        paths = self.drift.pipelines.set_index(["project", "pipeline", "env"])["path"].to_dict()
        changes: dict[tuple, list[str]] = defaultdict(list)
        for project, pipeline, field, old, new in _values(self.drift.pipeline_settings, pre, prod,
                                                          ["project", "pipeline", "field"], "value"):
            if old != new and self._risky(field):
                changes[(project, pipeline)].append(f"{field}: {pre} {old} -> {prod} {new}")
        for (project, pipeline), items in sorted(changes.items()):
            path = paths.get((project, pipeline, prod))
            if known and path not in bypassed:
                continue
            yield self.finding(f"{plural(len(items), 'retry or concurrency setting')} in {prod} "
                               f"{'never ran' if known else 'differ from'} in {pre}",
                               project=project, pipeline=pipeline, path=path, key=(pre, prod),
                               evidence="; ".join(items[:5]))
        yield from self._project_settings(pre, prod, known, bypassed)

    def _project_settings(self, pre, prod, known, bypassed):
        changes: dict[tuple, list[str]] = defaultdict(list)
        for project, file, key, old, new in _values(self.drift.project_settings, pre, prod,
                                                    ["project", "path", "key"], "value"):
            if old != new and file.endswith("metadata.yaml") and key.split(".")[0] in RISK_PROJECT_KEYS:
                changes[(project, file)].append(f"{key}: {pre} {old} -> {prod} {new}")
        for (project, file), items in sorted(changes.items()):
            if known and file not in bypassed:
                continue
            yield self.finding(f"project {plural(len(items), 'retry or queue setting')} in {prod} "
                               f"{'never ran' if known else 'differ from'} in {pre}",
                               project=project, path=file, key=(pre, prod, "project"), evidence="; ".join(items[:5]))


@register
class ProductionLiteralConfig(_DriftRule):
    """Production's io_config writes a value literally where pre-production reads it from the environment.

    What it checks:
        io_config.yaml keys (same project, profile and key) whose value is a literal in the
        production environment but ``env_var``/``mage_secret_var``/a cloud secret in
        pre-production. Only kinds are compared, never values. High for credential keys.

    Why it matters:
        The CI/CD guide keeps one codebase and gives each environment its own credentials
        through environment variables or secrets. A literal in production's file is a
        credential (or target) in git that staging never used.

    Example:
        ``POSTGRES_PASSWORD: "{{ env_var('POSTGRES_PASSWORD') }}"`` on ``staging``, a literal
        password on ``main``.

    Fix:
        Restore the ``env_var``/secret reference on main, set the value in production's
        environment or secret store, and rotate the credential that was committed.
    """

    id = "MAGE-DEP-103"
    name = "production-literal-config"
    title = "Literal io_config value in production where staging uses the environment"
    severity = "medium"
    practices = ("CICD-ENV-CREDENTIALS", "CICD-IO-CONFIG-ENV-VAR")

    def check(self):
        pre, prod = self.pair()
        if pre is None or prod is None:
            return
        grouped: dict[tuple, list[str]] = defaultdict(list)
        for project, path, profile, key, old, new in _values(self.drift.io_config, pre, prod,
                                                             ["project", "path", "profile", "key"], "value_kind"):
            if new == "literal" and old in ENV_KINDS:
                grouped[(project, path, profile)].append(str(key))
        for (project, path, profile), keys in sorted(grouped.items()):
            secret = any(is_secret_name(k) for k in keys)
            yield self.finding(f"profile '{profile}' writes {plural(len(keys), 'value')} literally in {prod} "
                               f"that {pre} reads from the environment",
                               project=project, path=path, key=(pre, prod, profile),
                               severity="high" if secret else None, evidence=f"keys: {short_list(sorted(keys))}")


@register
class ChangeSkippedPreviousEnvironment(_DriftRule):
    """Commits reached an environment without passing through the one before it (hotfixes).

    What it checks:
        For each step of the chain given (development -> staging -> main), non-merge commits
        that touch the audited folder and are in the later environment's ref but not in the
        earlier one's, under any commit id (cherry-picked copies count as passed). Medium when
        the later environment is production.

    Why it matters:
        A hotfix made on main and never merged back is tested nowhere, and the next promotion
        from staging either reverts it or conflicts with it.

    Example:
        ``fix: patch export`` committed on ``main``; ``staging`` does not contain it.

    Fix:
        Merge (or cherry-pick) the hotfix back into staging and development, and make future
        fixes on a branch that goes through staging.
    """

    id = "MAGE-DEP-104"
    name = "change-skipped-previous-environment"
    title = "Commits that skipped the previous environment"
    severity = "low"
    practices = ("CICD-BRANCH-MAIN", "CICD-BRANCH-STAGING")

    def check(self):
        drift = self.drift
        commits = drift.promotion_commits
        for row in drift.promotion[drift.promotion["status"] == "compared"].to_dict("records"):
            count = int(row["bypassed"] or 0)
            if not count:
                continue
            a, b = row["from_env"], row["to_env"]
            listed = commits[(commits["from_env"] == a) & (commits["to_env"] == b) & (commits["category"] == "bypassed")]
            yield self.finding(f"{plural(count, 'commit')} on {b} did not pass through {a}",
                               key=(a, b), severity="medium" if b == drift.production else None,
                               evidence="; ".join(f"{r['sha'][:8]} {r['subject']}" for r in listed.head(3).to_dict("records")))


@register
class RequirementsDrift(_DriftRule):
    """requirements.txt differs between production and the environment before it.

    What it checks:
        Packages added, removed or pinned differently in a ``requirements.txt`` of production
        against pre-production. Medium when production changed the file in a commit that did
        not pass through pre-production, low otherwise (pre-production ahead: a pending upgrade).

    Why it matters:
        Production then runs code on library versions staging never ran; version drift is a
        classic "works in staging" failure.

    Example:
        ``pandas==2.2.1`` on ``staging``, ``pandas==2.1.0`` on ``main``.

    Fix:
        Promote the requirements change through staging (or back-merge production's change).
    """

    id = "MAGE-DEP-105"
    name = "requirements-drift"
    title = "Requirements differ between staging and production"
    severity = "low"
    practices = ("CICD-BRANCH-MAIN",)

    def check(self):
        pre, prod = self.pair()
        if pre is None or prod is None:
            return
        bypassed = self.bypassed(pre, prod) if self.direction_known(pre, prod) else set()
        changes: dict[str, list[str]] = defaultdict(list)
        for path, package, old, new in _values(self.drift.requirements, pre, prod, ["path", "package"], "spec"):
            if old != new:
                changes[path].append(f"{package}: {pre} {old}, {prod} {new}")
        for path, items in sorted(changes.items()):
            verb = "differs" if len(items) == 1 else "differ"
            yield self.finding(f"{plural(len(items), 'requirement')} {verb} between {pre} and {prod}",
                               path=path, key=(pre, prod), severity="medium" if path in bypassed else None,
                               evidence="; ".join(items[:5]))


@register
class TriggerNeverFires(_DriftRule):
    """An active trigger can never fire in any environment it is deployed to.

    What it checks:
        Active triggers that Mage would sync in none of the compared environments holding them:
        their ``envs`` leave out each of those environments' Mage env (``dev``, ``staging``,
        ``prod`` from ``ENV``), or Mage rejects the trigger. A trigger on its way to an
        environment it names (in development and staging with ``envs: [prod]``) is not
        reported, nor one naming a Mage env that no compared environment runs as.

    Why it matters:
        The schedule looks configured in code but never runs: the data it should produce
        silently stops arriving.

    Example:
        A trigger with ``envs: [dev]`` that exists only on ``main``, deployed to production.

    Fix:
        Put the environment it should run in into ``envs`` (or remove the trigger).
    """

    id = "MAGE-DEP-106"
    name = "trigger-never-fires"
    title = "Active trigger that never fires where it is deployed"
    severity = "medium"
    practices = ("CICD-ENV-SEPARATE",)

    def check(self):
        reach = self.drift.trigger_reach
        dead = reach[reach["never_fires"].astype(bool)]
        for (project, pipeline, trigger), group in dead.groupby(["project", "pipeline", "trigger"], sort=True):
            latest = group.iloc[-1]
            envs = short_list(group["env"])
            yield self.finding(f"active trigger '{trigger}' never fires in {envs}: {latest['reason']}",
                               project=project, pipeline=pipeline, path=latest["path"], key=trigger,
                               line=None if pd.isna(latest["line"]) else int(latest["line"]))


@register
class ProductionPipelineNeverRunBefore(_DriftRule):
    """A pipeline runs in production but never ran in the environment before it.

    What it checks:
        With a run history for production and for pre-production: pipelines with runs in
        production's history and none in pre-production's, although pre-production's code
        holds them (pipelines missing there are MAGE-DEP-101's).

    Why it matters:
        Staging is where the guide runs full validation and integration tests; a pipeline
        that never ran there reached production untested, whatever the code review said.

    Example:
        ``orders_daily`` has 300 runs in production's history and none in staging's.

    Fix:
        Run the pipeline in staging (a trigger with ``envs: [staging]``, or a manual run)
        before promoting changes to it.
    """

    id = "MAGE-DEP-107"
    name = "production-pipeline-never-run-before"
    title = "Pipeline runs in production but never ran in staging"
    severity = "low"
    practices = ("CICD-STAGING-VALIDATION",)

    def check(self):
        pre, prod = self.pair()
        envs = self.drift.envs
        with_history = set(envs[envs["history"] == "yes"]["env"])
        if pre is None or prod is None or not {pre, prod} <= with_history:
            return
        hist = self.drift.history
        runs = hist.groupby(["env", "pipeline"])["runs"].sum().to_dict()
        pipes = self.drift.pipelines
        held = set(pipes[(pipes["env"] == pre) & pipes["present"]]["pipeline"])
        rows = pipes[(pipes["env"] == prod) & pipes["present"]].to_dict("records")
        for row in rows:
            name = row["pipeline"]
            if runs.get((prod, name), 0) > 0 and runs.get((pre, name), 0) == 0 and name in held:
                yield self.finding(f"{runs[(prod, name)]} runs in {prod}, none in {pre}",
                                   project=row["project"], pipeline=name, path=row["path"], key=(pre, prod))
