"""The rule engine: the rule model, running rules with the user's configuration, the catalogue
and the shared frame lookups rules read. The rules themselves live in :mod:`auditkit.rules`
(the engine loads that package by name, as a plugin set, and never imports a rule module)."""
from auditkit.engine.base import REGISTRY, Rule, RuleContext, Threshold, all_rules, register

__all__ = ["REGISTRY", "Rule", "RuleContext", "Threshold", "all_rules", "register"]
