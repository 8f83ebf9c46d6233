"""Environment facts: ``env_access`` (environment variables and Mage secrets read) and
``env_branching`` (code that behaves differently per deployment environment)."""
from __future__ import annotations

import ast
import re

from auditkit.readers.code_facts.family import Family, FileState, Where

ENVIRONMENT = Family("environment")

ENV_READERS = frozenset({"getenv", "env_var", "get_secret_value", "getenvb"})
ENV_NAMES = frozenset({"ENV", "ENVIRONMENT", "STAGE", "MAGE_ENV", "ENV_NAME", "DEPLOY_ENV",
                       "APP_ENV", "env", "environment", "stage"})
ENV_VALUES = frozenset({"prod", "production", "staging", "stage", "dev", "development", "test",
                        "qa", "uat", "local"})
# A file whose text has none of these words cannot branch on the environment (see _is_env_test).
# Runs on the lower-cased text: case-insensitive alternations are slow in ``re``.
ENV_WORD_RE = re.compile(r"\b(?:mage_|deploy_|app_)?env(?:ironment|_name)?\b|\bstage\b")


def may_branch_on_env(lower: str) -> bool:
    """Text cue: only a file with an environment word can branch on the environment."""
    return ("env" in lower or "stage" in lower) and ENV_WORD_RE.search(lower) is not None


@ENVIRONMENT.on_call(ENV_READERS)
def _env_reader(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    state.facts["env_access"] = True


@ENVIRONMENT.on_call("get")
def _environ_get(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if root == "environ":
        state.facts["env_access"] = True


@ENVIRONMENT.on_node(ast.Attribute)
def _os_environ(state: FileState, node: ast.Attribute, where: Where) -> None:
    if node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os":
        state.facts["env_access"] = True


@ENVIRONMENT.on_node(ast.If, ast.IfExp, when=may_branch_on_env)
def _env_branch(state: FileState, node: ast.If, where: Where) -> None:
    if not state.facts["env_branching"] and _is_env_test(node.test):
        state.facts["env_branching"] = True


def _is_env_test(test: ast.expr) -> bool:
    """True for conditions such as ``ENV == 'production'`` or ``os.getenv('ENV') in ('prod',)``."""
    has_value = has_env = has_compare = False
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            has_compare = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.lower() in ENV_VALUES:
                has_value = True
            elif node.value in ENV_NAMES or node.value.upper() in ENV_NAMES:
                has_env = True
        elif isinstance(node, ast.Name) and node.id in ENV_NAMES:
            has_env = True
        elif isinstance(node, ast.Attribute) and node.attr in ENV_NAMES:
            has_env = True
    return has_value and has_env and has_compare
