"""Per-file source metrics for block files: lines, functions, decorators, tests, complexity.

Each text is parsed once; the same text and AST feed line counts and one walk in
:mod:`auditkit.readers.code_facts` that yields the code facts and radon-equivalent cyclomatic
complexity (tested equal to radon itself; radon scores the tree when that walk fails). Reading
files, the cache
and the per-file security detectors are :mod:`auditkit.readers.filejob`.
"""
from __future__ import annotations

import ast
import os
from typing import Any

from radon.raw import analyze
from radon.visitors import ComplexityVisitor

from auditkit.readers import code_facts as code_facts_module
from auditkit.readers.templates import is_template_code

LANGUAGE_BY_EXTENSION = {
    ".py": "python", ".sql": "sql", ".r": "r", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown",
}
_LINE_COMMENT = {"sql": ("--",), "r": ("#",), "yaml": ("#",), "python": ("#",)}

# Columns this module fills in block_files (besides the ones repo.py knows from the path).
METRIC_COLUMNS = [
    "size_bytes", "lines_total", "lines_code", "n_functions", "functions", "decorators", "n_tests",
    "has_docstring", "complexity_max", "complexity_avg", "skipped", "facts", "template",
]


def language_for(path: str) -> str:
    """Block language from a file name (Mage's extension map), ``other`` when unknown."""
    return LANGUAGE_BY_EXTENSION.get(os.path.splitext(path)[1].lower(), "other")


def empty_metrics(size: int = 0, skipped: str | None = None) -> dict[str, Any]:
    """Metrics of a file that was not (or could not be) measured."""
    return {
        "size_bytes": size, "lines_total": None, "lines_code": None, "n_functions": 0,
        "functions": [], "decorators": [], "n_tests": 0, "has_docstring": False,
        "complexity_max": None, "complexity_avg": None, "skipped": skipped, "facts": {},
        "template": False, "clones": None, "complex_functions": None, "cues": None,
    }


def count_code_lines(text: str, language: str) -> tuple[int, int]:
    """(total lines, non-blank non-comment lines) for SQL, R, YAML, markdown and fallbacks."""
    lines = text.splitlines()
    prefixes = _LINE_COMMENT.get(language, ())
    code = 0
    in_block_comment = False
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if language == "sql":
            # /* ... */ and Jinja {# ... #} comments span lines in dbt models.
            if in_block_comment:
                if "*/" in line or "#}" in line:
                    in_block_comment = False
                continue
            if line.startswith(("/*", "{#")):
                closed = ("*/" in line[2:]) or ("#}" in line[2:])
                in_block_comment = not closed
                continue
        if prefixes and line.startswith(prefixes):
            continue
        code += 1
    return len(lines), code


def python_line_counts(text: str, tree: ast.AST,
                       functions_out: list[ast.AST] | None = None) -> tuple[int, int]:
    """(total lines, source lines) with radon's raw-metric definitions, taken from the AST.

    radon's ``sloc`` is a non-blank line that is not a comment-only line and not part of a
    standalone string statement (docstring); comment lines inside a multi-line statement
    count as code. radon's tokenizer pass costs ~1 ms per block file, five times the AST
    parse we already do, so the same counts are derived here from the tree (the tests compare
    both on every fixture file).
    """
    lines = text.splitlines()
    docstring_lines: set[int] = set()
    statement_lines: set[int] = set()
    pending: list[ast.AST] = list(getattr(tree, "body", []))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.ExceptHandler) or type(node).__name__ == "match_case":
            pending.extend(node.body)
            continue
        end = getattr(node, "end_lineno", None) or node.lineno
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            docstring_lines.update(range(node.lineno, end + 1))
        elif hasattr(node, "body"):
            if functions_out is not None and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions_out.append(node)
            # Compound statement: only its header belongs to it; the bodies are visited next.
            statement_lines.update(range(node.lineno, _header_end(node) + 1))
            for decorator in getattr(node, "decorator_list", ()):
                statement_lines.update(range(decorator.lineno, (decorator.end_lineno or decorator.lineno) + 1))
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                pending.extend(getattr(node, name, ()) or ())
        else:
            statement_lines.update(range(node.lineno, end + 1))
    code = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if number in statement_lines or (number not in docstring_lines and not line.startswith("#")):
            code += 1
    return len(lines), code


_BODY_FIELDS = frozenset({"body", "orelse", "finalbody", "handlers", "decorator_list", "cases"})


def _header_end(node: ast.stmt) -> int:
    """Last line of a compound statement's header (signature, condition, iterable...)."""
    end = node.lineno
    for name in node._fields:
        if name in _BODY_FIELDS:
            continue
        value = getattr(node, name, None)
        if value is None or type(value) is str:
            continue
        value_end = _max_end_line(value)
        if value_end > end:
            end = value_end
    return end


def _max_end_line(value: object) -> int:
    # Expressions carry end_lineno for their whole subtree; helper nodes such as
    # ``arguments`` or ``withitem`` do not, so look one level into them.
    if type(value) is list:
        return max((_max_end_line(v) for v in value), default=0)
    end = getattr(value, "end_lineno", None)
    if end is not None:
        return end
    if not isinstance(value, ast.AST):
        return 0
    return max((_max_end_line(getattr(value, name, None)) for name in value._fields), default=0)


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return type(node).__name__


def python_metrics(text: str) -> tuple[dict[str, Any], ast.AST | None, str | None]:
    """Metrics of a Python source; returns (metrics, tree or None, syntax problem or None).

    ``has_docstring`` is true for a module docstring or a docstring on a function carrying a
    decorator other than ``@test`` (the block's own function). Complexity is left to the caller
    (:func:`measure_text` takes it from the code-facts walk over the same tree).
    """
    metrics: dict[str, Any] = {}
    problem = None
    try:
        tree: ast.AST | None = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # deep nesting: RecursionError
        tree = None
        line = getattr(exc, "lineno", None)
        problem = f"Python syntax error{f' at line {line}' if line else ''}: {getattr(exc, 'msg', type(exc).__name__)}"
    function_nodes: list[ast.AST] = []
    if tree is not None:
        metrics["lines_total"], metrics["lines_code"] = python_line_counts(text, tree, function_nodes)
    else:
        try:
            raw = analyze(text)
            metrics["lines_total"], metrics["lines_code"] = raw.loc, raw.sloc
        except Exception:  # radon's tokenizer fails on broken sources; count plainly
            metrics["lines_total"], metrics["lines_code"] = count_code_lines(text, "python")
    functions: list[str] = []
    decorators: list[str] = []
    n_tests = 0
    has_docstring = False
    if tree is not None:
        has_docstring = ast.get_docstring(tree) is not None
        # Functions come from the statement pass of python_line_counts, in source order.
        for node in sorted(function_nodes, key=lambda n: (n.lineno, n.col_offset)):
            functions.append(node.name)
            names = [_decorator_name(d) for d in node.decorator_list]
            decorators.extend(n for n in names if n not in decorators)
            if "test" in names:
                n_tests += 1
            if any(n != "test" for n in names) and ast.get_docstring(node) is not None:
                has_docstring = True
    metrics.update(n_functions=len(functions), functions=functions, decorators=decorators,
                   n_tests=n_tests, has_docstring=has_docstring)
    metrics["complexity_max"], metrics["complexity_avg"] = None, None
    return metrics, tree, problem


def _complexity(tree: ast.AST, scores: list[int] | None) -> tuple[int | None, float | None]:
    """(max, mean) of the counted ``scores``; None scores (a very deep tree) go to radon."""
    if scores is None:  # very deep tree: let radon decide (it may hit the recursion limit)
        try:
            visitor = ComplexityVisitor.from_ast(tree)
        except Exception:  # radon visitor on unusual ASTs; metrics are optional
            return None, None
        scores = [f.complexity for f in visitor.functions]
        scores += [m.complexity for c in visitor.classes for m in c.methods]
        if not scores:
            scores = [visitor.complexity]
    return max(scores), round(sum(scores) / len(scores), 3)


def measure_text(text: str, language: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Metrics and facts of decoded source text; problems as (kind, reason) pairs."""
    metrics, problems, _tree = measure_text_and_tree(text, language)
    return metrics, problems


def measure_text_and_tree(text: str, language: str) -> tuple[dict[str, Any], list[tuple[str, str]], ast.AST | None]:
    """:func:`measure_text` plus the parsed tree (None for other languages or a syntax error),
    so the per-file security detectors read the same tree."""
    problems: list[tuple[str, str]] = []
    tree = None
    if language == "python":
        metrics, tree, syntax_problem = python_metrics(text)
        if syntax_problem:
            problems.append(("syntax", syntax_problem))
    else:
        total, code = count_code_lines(text, language)
        metrics = {"lines_total": total, "lines_code": code, "n_functions": 0, "functions": [],
                   "decorators": [], "n_tests": 0, "has_docstring": False,
                   "complexity_max": None, "complexity_avg": None}
    scores = None
    try:
        # One walk of the AST gives the facts and the complexity scores.
        facts, scores = code_facts_module.facts_and_complexity(text, tree, language)
    except Exception as exc:  # a teammate's fact extractor must not stop the audit
        facts = {}
        problems.append(("code_facts", f"code facts failed: {type(exc).__name__}"))
        scores = None       # radon itself then scores the tree (see _complexity)
    if tree is not None:
        metrics["complexity_max"], metrics["complexity_avg"] = _complexity(tree, scores)
    metrics["facts"] = facts
    # Untouched Mage scaffolding (every code line is template text): not the team's code.
    metrics["template"] = language in ("python", "sql", "r", "yaml") and is_template_code(text, language)
    return metrics, problems, tree
