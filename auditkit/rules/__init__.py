"""The rule catalogue. Importing this package registers every rule module."""
from auditkit.engine.base import REGISTRY, Rule, RuleContext, Threshold, all_rules, register

# Rule modules: importing one registers its rules (one line per module).
from auditkit.rules import configuration  # noqa: E402,F401
from auditkit.rules import blocks  # noqa: E402,F401
from auditkit.rules import documentation  # noqa: E402,F401
from auditkit.rules import testing  # noqa: E402,F401
from auditkit.rules import pipelines  # noqa: E402,F401
from auditkit.rules import security  # noqa: E402,F401
from auditkit.rules import reliability  # noqa: E402,F401
from auditkit.rules import performance  # noqa: E402,F401
from auditkit.rules import observability  # noqa: E402,F401
from auditkit.rules import operations  # noqa: E402,F401
from auditkit.rules import deployment  # noqa: E402,F401
from auditkit.rules import drift  # noqa: E402,F401
from auditkit.rules import code_quality  # noqa: E402,F401
from auditkit.rules import run_limits  # noqa: E402,F401
from auditkit.rules import pipeline_hygiene  # noqa: E402,F401
from auditkit.rules import ci_testing  # noqa: E402,F401
from auditkit.rules import run_context  # noqa: E402,F401
from auditkit.rules import history_upkeep  # noqa: E402,F401

__all__ = ["REGISTRY", "Rule", "RuleContext", "Threshold", "all_rules", "register"]
