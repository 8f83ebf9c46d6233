"""Rules of category ``deployment`` about what CI runs: a CI that does not test."""
from __future__ import annotations

from auditkit.engine.base import Rule, register
from auditkit.engine.frames import short_list


@register
class CiWithoutTests(Rule):
    """A CI configuration exists but runs no tests.

    What it checks:
        The CI files of the repository (GitHub Actions, GitLab CI, Jenkinsfile, ...). Reported
        when none of them runs a test command (``pytest``, ``unittest``, ``tox``, ``make test``,
        ``dbt test``/``dbt build``, ``auditkit check``, ...) outside comments and disabled
        jobs; the message names the test steps that are commented out or disabled
        (GitHub Actions ``if: false``). A repository without CI is MAGE-DEP-013's.

    Why it matters:
        The CI/CD guide validates every change before it reaches staging and production. A
        pipeline that only builds and deploys ships broken blocks as fast as good ones, and a
        commented-out test step looks like protection in review.

    Example:
        ``.github/workflows/deploy.yml`` builds the image and deploys it; its
        ``# - run: pytest`` step is commented out.

    Fix:
        Add (or re-enable) a job that runs the pipelines' tests and ``auditkit check`` on every
        pull request, and make deployment depend on it.
    """

    id = "MAGE-DEP-015"
    name = "ci-without-tests"
    title = "CI that does not test"
    category = "deployment"
    severity = "medium"
    needs = frozenset({"git"})
    practices = ("CICD-STAGING-VALIDATION", "BP-DEPLOY-CICD")
    off_by_default = ("too few findings on real repos to trust it yet: one repo of the 18 in the ecosystem "
                      "check has CI, and its finding was real (1 of 1), under the 10 labelled findings a "
                      "default rule needs")

    def check(self):
        checked = list(getattr(self.ctx.git, "ci_tests", None) or [])
        if not checked or any(entry.get("active") for entry in checked):
            return
        disabled = [f"{entry['path']}:{line} ({why})" for entry in checked for line, why in entry.get("disabled") or []]
        first = checked[0]
        if disabled:
            message = f"the CI's test steps are disabled: {short_list(disabled, 3)}"
        else:
            message = f"the CI ({short_list([e['path'] for e in checked], 3)}) never runs tests or auditkit check"
        yield self.finding(message, path=first["path"], evidence=short_list([e["path"] for e in checked], 8))
