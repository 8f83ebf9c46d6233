"""Safe, bounded YAML loading: python tags never run, bombs and deep nesting are refused."""
from __future__ import annotations

from auditkit.model import ProblemLog
from auditkit.readers.yamlsafe import MAX_DEPTH, load_yaml, quote_jinja, yaml_has_python_tags


def test_python_tag_is_recorded_and_never_executed(tmp_path):
    marker = tmp_path / "ran"
    text = f"description: !!python/object/apply:os.mkdir ['{marker}']\nname: p\n"
    problems = ProblemLog()
    result = load_yaml(text, "p.yaml", problems)
    assert not marker.exists()
    assert result.ok and result.python_tags
    assert result.data["name"] == "p"
    assert result.data["description"] == "<python tag: python/object/apply:os.mkdir>"
    assert len(problems) == 0


def test_yaml_has_python_tags_spellings():
    assert yaml_has_python_tags("a: !!python/name:os.system")
    assert yaml_has_python_tags("a: !<tag:yaml.org,2002:python/object:x> {}")
    assert not yaml_has_python_tags("a: python/object is just text")


def test_billion_laughs_is_refused_quickly():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    problems = ProblemLog()
    result = load_yaml("\n".join(lines), "bomb.yaml", problems)
    assert not result.ok and result.data is None
    [problem] = list(problems)
    assert problem.kind == "yaml_rejected" and "alias expansion" in problem.reason


def test_recursive_alias_and_deep_nesting_are_refused():
    problems = ProblemLog()
    assert not load_yaml("a: &x [*x]\n", "rec.yaml", problems).ok
    # 100k nested brackets crash libyaml's recursive composer if they ever reach it.
    assert not load_yaml("[" * 100_000 + "]" * 100_000, "deep.yaml", problems).ok
    assert not load_yaml("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "deep2.yaml", problems).ok
    assert [p.kind for p in problems] == ["yaml_rejected"] * 3


def test_malformed_yaml_reports_the_parser_line():
    problems = ProblemLog()
    result = load_yaml("blocks:\n- name: a\n  type: x\n   uuid: a\n", "m.yaml", problems)
    assert not result.ok
    [problem] = list(problems)
    assert problem.kind == "yaml" and "line 4" in problem.reason


def test_jinja_is_kept_as_text_with_line_numbers():
    text = ("a: {{ env_var('X') }}\n"
            "{% if env_var('ENV') == 'prod' %}\n"
            "b: 1\n"
            "{% endif %}\n"
            "c:\n- {{ mage_secret_var('s') }}\n"
            "url: postgres://{{ env_var('U') }}@h\n")
    quoted = quote_jinja(text)
    assert quoted.count("\n") == text.count("\n")
    result = load_yaml(text, "m.yaml", ProblemLog(), jinja=True)
    assert result.data == {"a": "{{ env_var('X') }}", "b": 1, "c": ["{{ mage_secret_var('s') }}"],
                           "url": "postgres://{{ env_var('U') }}@h"}


def test_empty_document_is_ok():
    result = load_yaml("", "e.yaml", ProblemLog())
    assert result.ok and result.data is None
