"""Rules of category ``deployment``: per-environment configuration (io_config profiles,
env_var, trigger ``envs``, environment branching in code) and the git practice of the CI/CD
guide (branches, commits, tags, CI configuration). Git rules read ``ctx.git``
(:class:`auditkit.readers.git.GitInfo`)."""
from __future__ import annotations

import re
from collections import defaultdict

from auditkit.analytics.git import direct_commits_to_main
from auditkit.readers.security.secrets import is_secret_name
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.lookups import active_triggers
from auditkit.engine.frames import (
    fact, file_place, first_line, frame_of, logic_files, plural, rows, short_list,
)

# io_config keys naming *where* to connect (hosts, databases, accounts, users): per environment.
TARGET_KEY_RE = re.compile(r"(?i)(host|account|dbname|database|_db$|_user$|username|warehouse|_wh$|endpoint|"
                           r"server|cluster|project_id|bucket)")
# The keys among them that name the machine itself (a host, endpoint or URL).
HOST_KEY_RE = re.compile(r"(?i)(host|endpoint|server|_url$|_uri$|^url$|_api$|dsn|connection_string)")
ENV_PROFILES = {"dev", "development", "staging", "stage", "prod", "production", "test", "qa", "uat"}


def _io_path(rows_: list[dict]) -> str | None:
    return rows_[0].get("path") if rows_ else None


@register
class IoConfigLiteralTarget(Rule):
    """``io_config.yaml`` hard-codes where to connect instead of reading it from the environment.

    What it checks:
        Literal values (not ``env_var``/secret functions, not template placeholders) under keys
        that name the machine to connect to (host, endpoint, server, URL) and point at another
        machine: a dotted host name or an IP address. ``localhost`` and single-label names such
        as a compose service (``postgres``), which each stack resolves to its own container,
        are not reported, nor are database or user names alone. Credential keys (passwords,
        tokens) are the security rules' job.

    Why it matters:
        The CI/CD guide keeps one codebase for all environments; each environment points it at
        its own systems through environment variables. A literal host sends every environment
        to the same database.

    Example:
        ``POSTGRES_HOST: db-prod.internal`` in the ``default`` profile.

    Fix:
        ``POSTGRES_HOST: "{{ env_var('POSTGRES_HOST') }}"``, set per cluster or workspace.
    """

    id = "MAGE-DEP-001"
    name = "io-config-literal-target"
    title = "io_config connection target not taken from the environment"
    category = "deployment"
    severity = "low"
    practices = ("CICD-IO-CONFIG-ENV-VAR", "CICD-ENV-CREDENTIALS")

    def check(self):
        grouped: dict[tuple, list[dict]] = defaultdict(list)
        for r in rows(frame_of(self.ctx.inventory, "io_config")):
            key = str(r.get("key") or "")
            if r.get("value_kind") == "literal" and r.get("target_scope") == "remote" \
                    and HOST_KEY_RE.search(key.rsplit(".", 1)[-1]) and not is_secret_name(key):
                grouped[(r["project"], r.get("profile"))].append(r)
        for (project, profile), items in sorted(grouped.items(), key=str):
            keys = sorted({str(i["key"]) for i in items})
            yield self.finding(f"profile '{profile}' hard-codes the host of {plural(len(keys), 'connection')} "
                               f"instead of reading it from the environment",
                               project=project, path=_io_path(items), key=profile,
                               line=min((i["line"] for i in items if i.get("line")), default=None),
                               evidence=f"keys: {short_list(keys)}")


@register
class SingleIoProfile(Rule):
    """``io_config.yaml`` has only one profile.

    What it checks:
        Projects whose ``io_config.yaml`` defines a single profile (usually ``default``).

    Why it matters:
        Development, staging and production then share one set of connections, or differ only
        by environment variables nobody can see in the repo; the guide configures data sources
        per environment.

    Example:
        Only ``default:`` in ``io_config.yaml``.

    Fix:
        Add ``dev``/``staging``/``prod`` profiles (or one profile fully driven by ``env_var``
        with the variables documented) and select the profile per environment.
    """

    id = "MAGE-DEP-002"
    name = "single-io-profile"
    title = "No per-environment io_config profiles"
    category = "deployment"
    severity = "low"
    off_by_default = ("a single profile is normal where one profile reads everything from environment "
                      "variables, or io_config is unused; on real repos 0 of 12 labelled findings held up "
                      "(MAGE-DEP-001 reports profiles that hard-code their targets)")
    practices = ("CICD-IO-CONFIG-PROFILES", "CICD-ENV-SEPARATE", "BP-COLLAB-ENVIRONMENTS")

    def check(self):
        by_project: dict[str, list[dict]] = defaultdict(list)
        for r in rows(frame_of(self.ctx.inventory, "io_config")):
            by_project[str(r["project"])].append(r)
        for project, items in sorted(by_project.items()):
            profiles = sorted({str(i.get("profile")) for i in items})
            all_env = all(i.get("value_kind") in ("env_var", "mage_secret_var", "aws_secret_var",
                                                  "azure_secret_var", "empty") for i in items)
            if len(profiles) == 1 and not all_env:
                yield self.finding(f"io_config.yaml has a single profile '{profiles[0]}'",
                                   project=project, path=_io_path(items), evidence=f"profiles: {profiles}")


@register
class SharedLiteralAcrossProfiles(Rule):
    """Two environment profiles hold the same literal connection value.

    What it checks:
        The same ``io_config.yaml`` key with the same literal value (compared by fingerprint)
        in two or more environment profiles (``dev``, ``staging``, ``prod``, ...). Profiles for
        different systems (``source``, ``warehouse``) may share a host.

    Why it matters:
        Development and production pointing at the same host, user or password means tests
        write to production data, and one leaked development secret opens production.

    Example:
        ``SNOWFLAKE_USER: svc_mage`` in both ``dev`` and ``prod``.

    Fix:
        Give each environment its own value, through ``env_var`` or the secret store.
    """

    id = "MAGE-DEP-003"
    name = "shared-literal-across-profiles"
    title = "Same literal connection value in several profiles"
    category = "deployment"
    severity = "medium"
    practices = ("CICD-ENV-CREDENTIALS",)

    def check(self):
        seen: dict[tuple, list[dict]] = defaultdict(list)
        for r in rows(frame_of(self.ctx.inventory, "io_config")):
            if r.get("value_kind") == "literal" and r.get("fingerprint"):
                leaf = str(r["key"]).rsplit(".", 1)[-1]
                if TARGET_KEY_RE.search(leaf) or is_secret_name(leaf):
                    seen[(r["project"], r["key"], r["fingerprint"])].append(r)
        for (project, key, _), items in sorted(seen.items(), key=str):
            profiles = sorted({str(i.get("profile")) for i in items})
            # Profiles of different systems may share a value; environments must not.
            if len({p.lower() for p in profiles} & ENV_PROFILES) > 1:
                yield self.finding(f"{key} has the same literal value in profiles {', '.join(profiles)}",
                                   project=project, path=_io_path(items), key=key,
                                   evidence=f"profiles: {profiles}")


@register
class PinnedIoProfile(Rule):
    """A block hard-codes a non-default io_config profile.

    What it checks:
        ``ConfigFileLoader(path, '<profile>')`` or ``config_profile = '<profile>'`` in block
        files that pipelines run, naming an environment profile (``dev``, ``staging``,
        ``prod``, ...) of a project whose ``io_config.yaml`` defines several environment
        profiles. A profile named after a system (``google``, ``warehouse``) is not an
        environment.

    Why it matters:
        The block reads, say, the ``dev`` connections in every environment, production
        included; promoting code through the environments changes nothing.

    Example:
        ``ConfigFileLoader(get_repo_path() + '/io_config.yaml', 'dev')`` in an exporter.

    Fix:
        Choose the profile from the environment (``os.getenv('IO_CONFIG_PROFILE', 'default')``)
        or a pipeline variable.
    """

    id = "MAGE-DEP-004"
    name = "pinned-io-profile"
    title = "Block pinned to one environment's io_config profile"
    category = "deployment"
    severity = "medium"
    practices = ("BP-DEPLOY-ENV-CONFIG", "CICD-BLOCK-ENV-VAR")

    def check(self):
        inv = self.ctx.inventory
        env_profiles: dict[str, set] = defaultdict(set)
        for r in rows(frame_of(inv, "io_config")):
            if str(r.get("profile")).lower() in ENV_PROFILES:
                env_profiles[str(r["project"])].add(str(r.get("profile")).lower())
        for row in logic_files(inv):
            if len(env_profiles.get(str(row["project"]), ())) < 2:
                continue
            pinned = [p for p in fact(row, "io_profiles") or [] if str(p[1]).lower() in ENV_PROFILES]
            if pinned:
                yield self.finding(f"uses io_config profile {short_list(sorted({str(p[1]) for p in pinned}))} in code",
                                   **file_place(row),
                                   line=first_line(pinned))


@register
class TriggerWithoutEnvs(Rule):
    """In a multi-environment project an active trigger runs in every environment.

    What it checks:
        Active triggers with empty ``envs`` in projects that use environments (another
        trigger sets ``envs``, or ``io_config.yaml`` has environment profiles).

    Why it matters:
        Mage syncs a trigger without ``envs`` on every server: the production schedule also
        runs on development and staging, against whatever those point at.

    Example:
        ``hourly_attribution`` without ``envs`` next to triggers with ``envs: [prod]``.

    Fix:
        Add ``envs: [prod]`` (or the environments the schedule belongs to).
    """

    id = "MAGE-DEP-005"
    name = "trigger-without-envs"
    title = "Trigger without envs in a multi-environment project"
    category = "deployment"
    severity = "low"
    practices = ("CICD-ENV-SEPARATE", "BP-COLLAB-ENVIRONMENTS")

    def check(self):
        inv = self.ctx.inventory
        multi = {str(t["project"]) for t in rows(frame_of(inv, "triggers")) if t.get("envs")}
        profiles: dict[str, set] = defaultdict(set)
        for r in rows(frame_of(inv, "io_config")):
            profiles[str(r["project"])].add(str(r.get("profile")).lower())
        multi |= {p for p, names in profiles.items() if len(names & ENV_PROFILES) >= 2}
        for t in active_triggers(inv):
            if str(t["project"]) in multi and not t.get("envs"):
                yield self.finding(f"active trigger '{t['name']}' has no envs and runs in every environment",
                                   project=t["project"], pipeline=t["pipeline"], path=t.get("path"), key=t["name"])


@register
class EnvironmentBranchingInCode(Rule):
    """A block branches on the environment name.

    What it checks:
        ``if ENV == 'production':``-style conditions in block files.

    Why it matters:
        Each environment runs a different code path, so staging does not test what
        production runs; adding an environment means editing code.

    Example:
        ``if os.getenv('ENVIRONMENT') == 'prod': table = 'orders' else: table = 'orders_dev'``.

    Fix:
        Keep one code path and move the differing values to environment variables or
        io_config profiles.
    """

    id = "MAGE-DEP-006"
    name = "environment-branching-in-code"
    title = "Environment-specific branching in block code"
    category = "deployment"
    severity = "info"
    practices = ("BP-DEPLOY-ENV-CONFIG",)

    def check(self):
        for row in logic_files(self.ctx.inventory):
            if fact(row, "env_branching") is True:
                yield self.finding("block code branches on the environment name",
                                   **file_place(row))


def _deployment_files(security) -> list[str]:
    """Files that deploy Mage somewhere beyond a laptop: terraform, Kubernetes, or a deployment
    with production evidence (see :mod:`auditkit.readers.security.deployment`)."""
    frame = getattr(security, "deployments", None)
    if frame is None or not len(frame):
        return []
    real = frame[frame["kind"].isin(["terraform", "kubernetes"]) | frame["production"].fillna(False).astype(bool)]
    return sorted(set(real["path"]))


class _GitRule(Rule):
    needs = frozenset({"git"})


def _kinds(git) -> set[str]:
    return set(git.branches["kind"]) if git is not None and not git.branches.empty else set()


@register
class NoDevelopmentBranch(_GitRule):
    """The repository has no development branch.

    What it checks:
        No ``develop``/``development``/``dev`` branch (local or remote) in a repository that has
        a main branch.

    Why it matters:
        The CI/CD guide creates feature branches from ``development`` and promotes
        ``development`` to ``staging`` to ``main``; without it, features land on main directly.

    Example:
        Branches ``main`` and ``feature/*`` only.

    Fix:
        Create ``development`` from ``main`` and branch features from it.
    """

    id = "MAGE-DEP-007"
    name = "no-development-branch"
    title = "No development branch"
    category = "deployment"
    severity = "low"
    off_by_default = ("the branch model is the team's choice, and git cannot tell a team repo from a personal "
                      "one (authors appear under several e-mails): on real repos 0 of 12 labelled findings "
                      "held up; switch it on where the guide's development/staging/main model is adopted")
    practices = ("CICD-BRANCH-DEVELOPMENT",)

    def check(self):
        git = self.ctx.git
        if git is not None and git.main_branch and "development" not in _kinds(git):
            yield self.finding("no development branch", evidence=f"branches: {short_list(sorted(git.branches['name']))}")


@register
class NoStagingBranch(_GitRule):
    """The repository has no staging branch.

    What it checks:
        No ``staging``/``stage``/``preprod``/``uat`` branch in a repository with a main branch.

    Why it matters:
        The guide's staging environment deploys from ``staging``, where full validation runs
        before ``main``. Staging is optional in the guide, hence the low severity.

    Example:
        Branches ``main``, ``development`` and ``feature/*``.

    Fix:
        Create ``staging``, deploy the staging environment from it, and merge it into ``main``
        after validation.
    """

    id = "MAGE-DEP-008"
    name = "no-staging-branch"
    title = "No staging branch"
    category = "deployment"
    severity = "info"
    off_by_default = ("staging is optional in the CI/CD guide; on real repos 0 of 12 labelled findings held up")
    practices = ("CICD-BRANCH-STAGING",)

    def check(self):
        git = self.ctx.git
        if git is not None and git.main_branch and "staging" not in _kinds(git):
            yield self.finding("no staging branch")


@register
class BranchNaming(_GitRule):
    """A branch does not follow the branch naming scheme.

    What it checks:
        Branches that are not main, development or staging and do not start with one of
        ``allowed_prefixes``.

    Why it matters:
        The guide names feature branches ``feature/<name>``; a shared scheme tells at a glance
        what a branch is for and lets CI treat kinds of branches differently.

    Example:
        ``johns-fix``.

    Fix:
        Rename it, e.g. ``git branch -m johns-fix fix/null-revenue``.

    Options:
        ``allowed_prefixes``: accepted prefixes for work branches.
    """

    id = "MAGE-DEP-009"
    name = "branch-naming"
    title = "Branch name outside the naming scheme"
    category = "deployment"
    severity = "low"
    off_by_default = ("branch names are a team convention; on real repos the findings were merged short-lived "
                      "branches and bot branches (0 of 5 held up)")
    thresholds = (Threshold("allowed_prefixes",
                            ["feature/", "feat/", "fix/", "bugfix/", "hotfix/", "release/", "dependabot/", "renovate/"],
                            "accepted branch name prefixes", "list of strings"),)
    practices = ("CICD-BRANCH-FEATURE", "BP-COLLAB-FEATURE-BRANCHES")

    def check(self):
        git = self.ctx.git
        if git is None:
            return
        prefixes = tuple(self.option("allowed_prefixes"))
        for b in rows(git.branches):
            if b["kind"] in ("main", "development", "staging") or str(b["name"]).startswith(prefixes):
                continue
            yield self.finding(f"branch '{b['name']}' does not follow the naming scheme", key=b["name"],
                               evidence=f"allowed prefixes: {short_list(prefixes, 8)}")


@register
class DirectCommitsToMain(_GitRule):
    """Commits landed on main without a merge or pull request.

    What it checks:
        Non-merge commits on main's first-parent line (the root commit and squash-merged pull
        requests, ``... (#123)``, excepted), more than ``max_direct_commits``, in repositories
        with a CI/CD configuration: there a push to main is what reaches production. Without CI
        the commits of a personal repository say nothing about review.

    Why it matters:
        Production deploys from main; a direct commit skips review and the staging validation
        the guide asks for.

    Example:
        ``hotfix revenue calc`` committed straight to main.

    Fix:
        Protect main on the git host (require pull requests) and merge only from staging or
        hotfix branches.

    Options:
        ``max_direct_commits``: direct commits tolerated.
    """

    id = "MAGE-DEP-010"
    name = "direct-commits-to-main"
    title = "Direct commits to main"
    category = "deployment"
    severity = "medium"
    thresholds = (Threshold("max_direct_commits", 0, "direct commits to main tolerated", "integer >= 0"),)
    practices = ("CICD-BRANCH-MAIN", "BP-COLLAB-FEATURE-BRANCHES")

    def check(self):
        if self.ctx.git is None or not self.ctx.git.ci_files:
            return
        direct = direct_commits_to_main(self.ctx.git)
        if len(direct) > self.option("max_direct_commits"):
            yield self.finding(f"{plural(len(direct), 'commit')} landed on main without a merge or pull request",
                               evidence=f"commits: {short_list([s[:8] for s in direct['sha']])}")


@register
class CommitMessageConvention(_GitRule):
    """Too few commit messages follow the Conventional Commits form.

    What it checks:
        The share of non-merge commits whose subject is ``type(scope): description`` with a
        type such as feat, fix, docs, refactor, test, chore; judged from ``min_commits``
        commits on.

    Why it matters:
        The guide's examples (``feat: Add customer data transformation block``) make history
        searchable and let release notes and version bumps be generated.

    Example:
        ``fixed stuff``, ``wip``, ``update``.

    Fix:
        Adopt the convention (a commit-msg hook or a PR title check enforces it).

    Options:
        ``min_share``: required share of conventional commits. ``min_commits``: commits needed
        before judging.
    """

    id = "MAGE-DEP-011"
    name = "commit-message-convention"
    title = "Commit messages without a convention"
    category = "deployment"
    severity = "low"
    off_by_default = ("commit-message style is a team convention; on real repos 0 of 7 labelled findings held up")
    thresholds = (Threshold("min_share", 0.8, "required share of conventional commit subjects", "0..1"),
                  Threshold("min_commits", 10, "non-merge commits needed before judging", "integer > 0"))
    practices = ("BP-COLLAB-COMMIT-MESSAGES",)

    def check(self):
        git = self.ctx.git
        if git is None or git.commits.empty:
            return
        commits = git.commits[~git.commits["is_merge"].astype(bool)]
        if len(commits) < self.option("min_commits"):
            return
        share = float(commits["conventional"].astype(bool).mean())
        if share < self.option("min_share"):
            examples = commits.loc[~commits["conventional"].astype(bool), "subject"].head(3).tolist()
            yield self.finding(f"{share:.0%} of {len(commits)} commits follow Conventional Commits "
                               f"(expected {self.option('min_share'):.0%})",
                               evidence=f"e.g. {short_list(repr(e[:40]) for e in examples)}")


@register
class NoReleaseTags(_GitRule):
    """Releases are not tagged.

    What it checks:
        Repositories with at least ``min_commits`` commits and no version tag (``v1.2.0``,
        ``1.2``).

    Why it matters:
        Without tags nobody can tell which commit runs in production or roll back to the last
        good release quickly.

    Example:
        200 commits, no tags.

    Fix:
        Tag each production release (``git tag -a v1.4.0``), ideally from CI on merge to main.

    Options:
        ``min_commits``: commits from which tags are expected.
    """

    id = "MAGE-DEP-012"
    name = "no-release-tags"
    title = "No release tags"
    category = "deployment"
    severity = "low"
    off_by_default = ("on real repos none of the flagged projects made releases (0 of 4 held up)")
    thresholds = (Threshold("min_commits", 20, "commits from which release tags are expected", "integer > 0"),)
    practices = ("BP-COLLAB-RELEASE-TAGS",)

    def check(self):
        git = self.ctx.git
        if git is None or len(git.commits) < self.option("min_commits"):
            return
        if git.tags.empty or not git.tags["is_semver"].astype(bool).any():
            names = sorted(git.tags["name"]) if not git.tags.empty else []
            yield self.finding("no version tag on any commit", evidence=f"tags: {short_list(names) or 'none'}")


@register
class NoCiConfiguration(_GitRule):
    """The repository has no CI/CD configuration.

    What it checks:
        No GitHub Actions workflow, ``.gitlab-ci.yml``, Jenkinsfile, Azure/Bitbucket/CircleCI/
        Cloud Build/Drone/Travis configuration known to git, in a project with at least
        ``min_commits`` commits that runs somewhere: active schedules in ``triggers.yaml``, or a
        Mage deployment the security scan found in terraform or Kubernetes manifests, or one
        marked as production. A local compose setup, a short-lived sandbox or a course
        exercise is not expected to have CI.

    Why it matters:
        The guide deploys through CI/CD: automated, repeatable promotion from development to
        staging to production, with checks on every change.

    Example:
        A repo deployed by ``git pull`` on the server.

    Fix:
        Add a pipeline that validates the Mage project (YAML, tests, ``auditkit check``) on
        pull requests and deploys ``main`` to production.

    Options:
        ``min_commits``: commits from which a deployed project is expected to have CI.
    """

    id = "MAGE-DEP-013"
    name = "no-ci-configuration"
    title = "No CI/CD configuration"
    category = "deployment"
    severity = "medium"
    thresholds = (Threshold("min_commits", 10, "commits from which CI is expected", "integer > 0"),)
    practices = ("BP-DEPLOY-CICD",)

    def check(self):
        git = self.ctx.git
        if git is None or git.ci_files or len(git.commits) < self.option("min_commits"):
            return
        schedules = [t for t in active_triggers(self.ctx.inventory) if t.get("schedule_type") == "time"]
        deployed = _deployment_files(self.ctx.security)
        if deployed or schedules:
            shown = short_list(deployed, 3) if deployed else plural(len(schedules), "active schedule")
            yield self.finding("the project runs in production but no CI/CD configuration validates or "
                               "ships its changes", evidence=f"runs from: {shown}")


@register
class LargeCommits(_GitRule):
    """Work is committed in big batches rather than small steps.

    What it checks:
        The share of non-merge commits (root commit excepted) changing more than
        ``max_files`` files or ``max_lines`` lines, against ``max_share``; judged from
        ``min_commits`` commits on.

    Why it matters:
        The guide: commit after each block or feature. Big commits are hard to review, to
        revert and to bisect when a pipeline breaks.

    Example:
        Three commits each adding a whole pipeline of 15 blocks.

    Fix:
        Commit each block or fix on its own, with a descriptive message.

    Options:
        ``max_files``, ``max_lines``: size of a large commit. ``max_share``: tolerated share of
        large commits. ``min_commits``: commits needed before judging.
    """

    id = "MAGE-DEP-014"
    name = "large-commits"
    title = "Large, infrequent commits"
    category = "deployment"
    severity = "info"
    off_by_default = ("line counts of commits are dominated by lock files and Mage's committed autosaves "
                      "(.file_versions/); on real repos 0 of 2 labelled findings held up")
    thresholds = (Threshold("max_files", 25, "files changed by a large commit", "integer > 0"),
                  Threshold("max_lines", 1000, "lines changed by a large commit", "integer > 0"),
                  Threshold("max_share", 0.2, "tolerated share of large commits", "0..1"),
                  Threshold("min_commits", 10, "commits needed before judging", "integer > 0"))
    practices = ("BP-COLLAB-COMMIT-FREQUENTLY",)

    def check(self):
        git = self.ctx.git
        if git is None or git.commits.empty or "files_changed" not in git.commits:
            return
        c = git.commits
        c = c[~c["is_merge"].astype(bool) & (c["n_parents"] > 0)]
        if len(c) < self.option("min_commits"):
            return
        large = c[(c["files_changed"] > self.option("max_files")) | (c["lines_changed"] > self.option("max_lines"))]
        share = len(large) / len(c)
        if share > self.option("max_share"):
            yield self.finding(f"{len(large)} of {len(c)} commits ({share:.0%}) are large",
                               evidence=f"commits: {short_list([s[:8] for s in large['sha']])}")
