"""Per-file source metrics for block files: lines, functions, decorators, tests, complexity.

Each text is parsed once; the same text and AST feed line counts and one walk in
:mod:`auditkit.readers.code_facts` that yields the code facts and radon-equivalent cyclomatic
complexity. :func:`complexity_scores` is the same count on its own walk, used when the facts
walk failed and as the reference the single walk is tested against. Reading files, the cache
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
        "template": False,
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


def complexity_scores(tree: ast.AST) -> list[int] | None:
    """radon's cyclomatic complexity of each function and method, in one iterative walk.

    Same numbers as ``radon.visitors.ComplexityVisitor`` (functions at module level and
    methods of top-level classes; the module itself when there is none): radon visits the
    tree a second time with a recursive visitor, which cost as much as ``ast.parse``. Rules
    as in radon: a function's score is 1 + the decisions in its body, not counting nested
    functions (closures) or classes, decorators or default values; ``assert`` counts 1 and
    hides its operands. Returns None when the tree is deeper than radon can surely walk.
    """
    module = [1]
    scored: list[list[int]] = []
    child_fields = code_facts_module.child_fields
    # (node, mode, counter, depth); mode 0 = module level, 1 = class body, 2 = function body.
    stack: list[tuple[ast.AST, int, list[int] | None, int]] = [(tree, 0, module, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, mode, cell, depth = pop()
        if depth > code_facts_module.RADON_SAFE_DEPTH:
            return None
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            if mode == 2 or (mode == 1 and kind is ast.ClassDef):
                continue   # closures and nested classes are not scored
            if kind is ast.ClassDef:
                body_mode, body_cell = 1, None
            else:
                body_mode, body_cell = 2, [1]
                scored.append(body_cell)
            for child in node.body:
                push((child, body_mode, body_cell, depth + 1))
            continue
        if kind is ast.Assert:
            if mode != 1:
                cell[0] += 1  # type: ignore[index]
            continue
        if mode != 1:
            if kind is ast.If or kind is ast.IfExp:
                cell[0] += 1  # type: ignore[index]
            elif kind is ast.BoolOp:
                cell[0] += len(node.values) - 1  # type: ignore[index, attr-defined]
            elif kind is ast.For or kind is ast.While or kind is ast.AsyncFor:
                cell[0] += 1 + bool(node.orelse)  # type: ignore[index, attr-defined]
            elif kind is ast.comprehension:
                cell[0] += 1 + len(node.ifs)  # type: ignore[index, attr-defined]
            elif kind is ast.Try:
                cell[0] += len(node.handlers) + bool(node.orelse)  # type: ignore[index, attr-defined]
            elif kind is ast.Match:
                catch_all = any(getattr(c.pattern, "pattern", False) is None for c in node.cases)  # type: ignore[attr-defined]
                cell[0] += max(0, len(node.cases) - catch_all)  # type: ignore[index, attr-defined]
        depth += 1
        for name in child_fields(kind):
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        push((item, mode, cell, depth))
            elif isinstance(value, ast.AST):
                push((value, mode, cell, depth))
    return [c[0] for c in scored] or [module[0]]


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
        scores = complexity_scores(tree) if tree is not None else None
    if tree is not None:
        metrics["complexity_max"], metrics["complexity_avg"] = _complexity(tree, scores)
    metrics["facts"] = facts
    # Untouched Mage scaffolding (every code line is template text): not the team's code.
    metrics["template"] = language in ("python", "sql", "r", "yaml") and is_template_code(text, language)
    return metrics, problems, tree
