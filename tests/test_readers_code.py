"""Block file metrics: line counts agree with radon, decorators, tests, docstrings, complexity."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from radon.raw import analyze

from auditkit.readers.code import count_code_lines, measure_text, python_line_counts
from auditkit.readers.filejob import measure_block_file

LOADER = '''if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@data_loader
def load(*args, **kwargs):
    """Load rows."""
    rows = []
    for i in range(3):
        if i % 2:
            rows.append(i)
    return rows


@test
def test_output(output, *args) -> None:
    assert output is not None
'''


def test_python_block_metrics_by_hand():
    metrics, problems = measure_text(LOADER, "python")
    assert problems == []
    assert metrics["lines_total"] == 19
    # 19 lines - 4 blank - 1 docstring line = 14 source lines
    assert metrics["lines_code"] == 14
    assert metrics["functions"] == ["load", "test_output"]
    assert metrics["decorators"] == ["data_loader", "test"]
    assert metrics["n_tests"] == 1 and metrics["has_docstring"]
    # load: 1 + for + if = 3; test_output: 1 + assert (radon counts assert) = 2
    assert metrics["complexity_max"] == 3 and metrics["complexity_avg"] == 2.5


def test_docstring_only_on_a_test_function_does_not_count():
    text = LOADER.replace('    """Load rows."""\n', "").replace(
        "    assert output is not None", '    """Checks output."""\n    assert output is not None')
    assert measure_text(text, "python")[0]["has_docstring"] is False


def test_line_counts_match_radon_on_every_fixture_python_file(fixtures_dir):
    """The line counts taken from the AST equal radon's raw metrics on the fixtures, the demo
    and (when present) every Python file of the ecosystem checkouts."""
    import os

    roots = [fixtures_dir / "repos", fixtures_dir.parents[1] / "auditkit" / "demo" / "project"]
    ecosystem = Path(os.environ.get("AUDITKIT_ECO_WORK", Path.home() / ".cache" / "auditkit-ecosystem"))
    if ecosystem.is_dir():
        roots.append(ecosystem)
    files = [p for root in roots for p in root.rglob("*.py")
             if p.is_file() and ".git" not in p.parts and p.stat().st_size]
    checked = 0
    for path in files:
        text = path.read_text(errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        raw = analyze(text)
        assert python_line_counts(text, tree) == (raw.loc, raw.sloc), path
        checked += 1
    assert checked >= 20


@pytest.mark.parametrize("text", [
    "x = [\n    1,\n    # inside a statement\n    2]\n",
    "def f(a,\n      b):\n    # comment\n    '''doc\n    more'''\n    s = '''\n# in a string\n'''\n    return s\n",
    "try:\n    pass\nexcept Exception:  # why\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
])
def test_line_counts_match_radon_on_tricky_sources(text):
    raw = analyze(text)
    assert python_line_counts(text, ast.parse(text)) == (raw.loc, raw.sloc)


def test_sql_and_yaml_line_counts():
    sql = "-- header\n/* block\n comment */\nselect *\n\nfrom t -- trailing\n{# jinja #}\n"
    assert count_code_lines(sql, "sql") == (7, 2)
    assert count_code_lines("# c\n--select x\n\n", "yaml") == (3, 1)


def test_syntax_error_keeps_line_metrics(tmp_path):
    path = tmp_path / "b.py"
    path.write_text("def broken(:\n    return 1\n")
    metrics, problems = measure_block_file(str(path), path.stat().st_size, "python")
    assert metrics["lines_total"] == 2 and metrics["lines_code"] == 2
    assert metrics["complexity_max"] is None
    assert problems[0][0] == "syntax" and "line 1" in problems[0][1]


def test_skipped_files(tmp_path):
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 10)
    metrics, problems = measure_block_file(str(big), big.stat().st_size, "python", max_bytes=20)
    assert metrics["skipped"] == "larger than 0 MB" and metrics["lines_total"] is None
    assert problems == [("too_large", "block file skipped: larger than 0 MB")]
    blob = tmp_path / "blob.py"
    blob.write_bytes(b"\x00" * 8)
    metrics, problems = measure_block_file(str(blob), 8, "python")
    assert metrics["skipped"] == "binary (NUL byte)" and problems[0][0] == "binary"


def test_code_facts_dict_is_stored(monkeypatch):
    from auditkit.readers import code_facts as module
    seen = {}

    def fake(text, tree, language):
        seen["args"] = (text, type(tree).__name__, language)
        return {"marker": 1}, [7]

    monkeypatch.setattr(module, "facts_and_complexity", fake)
    metrics, _ = measure_text("x = 1\n", "python")
    assert metrics["facts"] == {"marker": 1} and seen["args"] == ("x = 1\n", "Module", "python")
    assert metrics["complexity_max"] == 7          # the scores of the same walk are used
    monkeypatch.setattr(module, "facts_and_complexity", lambda *a: 1 / 0)
    metrics, problems = measure_text("x = 1\n", "python")
    assert metrics["facts"] == {} and problems == [("code_facts", "code facts failed: ZeroDivisionError")]


def radon_scores(tree) -> list[int]:
    """radon's own cyclomatic complexity per function and method (the module when none)."""
    from radon.visitors import ComplexityVisitor

    visitor = ComplexityVisitor.from_ast(tree)
    scores = [f.complexity for f in visitor.functions] + [m.complexity for c in visitor.classes for m in c.methods]
    return scores or [visitor.complexity]


def test_single_walk_complexity_equals_radon_on_every_fixture_and_ecosystem_file():
    """The complexity counted on the code-facts walk equals radon's ComplexityVisitor on every
    Python file of the demo, the fixtures and (when present) the ecosystem checkouts, nested
    code included: the one implementation of the metric is proven equal to the library."""
    import ast as ast_module
    import os

    from auditkit.readers.code_facts import facts_and_complexity

    root = Path(__file__).resolve().parents[1]
    extra = textwrap.dedent("""
        class A:
            x = [i for i in range(3) if i]
            def m(self, a):
                assert a and self
                def inner(b):
                    return b if b else 0
                class Nested:
                    def n(self):
                        if self: pass
                return [j for j in a if j if j > 1]
        @deco(lambda q: q if q else 1)
        def f(a=1 if True else 2):
            try:
                pass
            except ValueError:
                pass
            else:
                pass
            while a:
                break
            else:
                pass
            match a:
                case 1: pass
                case _: pass
        if __name__ == "__main__" or False:
            f()
    """)
    bases = [root / "auditkit" / "demo" / "project", root / "tests" / "fixtures"]
    ecosystem = Path(os.environ.get("AUDITKIT_ECO_WORK", Path.home() / ".cache" / "auditkit-ecosystem"))
    if ecosystem.is_dir():
        bases.append(ecosystem)
    sources = [p.read_text(errors="replace") for base in bases for p in base.rglob("*.py")
               if p.is_file() and ".git" not in p.parts]
    sources += [extra, "x = 1\n", "if a:\n    b = c or d\n"]
    compared = 0
    for text in sources:
        try:
            tree = ast_module.parse(text)
        except (SyntaxError, ValueError):
            continue
        # The same scores (the audit keeps their max and mean; the order is the walk's).
        assert sorted(facts_and_complexity(text, tree, "python")[1]) == sorted(radon_scores(tree))
        compared += 1
    assert compared > 40
