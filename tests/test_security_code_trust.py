"""Code risks that are not risks: text fixed by the module itself, safe YAML loaders, one finding
for a run of lines, nothing on unused block files. Each quiet case has a firing neighbour."""
from __future__ import annotations

import ast

import pytest

from auditkit.readers.security.code_risks import ast_risks, bandit_risks, code_risks_frame
from auditkit.readers.security.trust import ModuleTrust
from auditkit.engine.base import REGISTRY, RuleContext
from rule_cases_security import make_scan, risk
from inventory_factory import make_inventory

HEAD = "import os\nimport yaml\nfrom mage_ai.data_preparation.decorators import data_loader\n\n"

QUIET_SQL = {
    "same-function constant": '''
@data_loader
def load(*args, **kwargs):
    owner = 'OPS_SVC'
    return loader.load(f"SELECT view_name FROM all_views WHERE owner = '{owner}'")
''',
    "module constant and format": '''
SCHEMA = "analytics"
TEMPLATE = "SELECT * FROM {}.events"
@data_loader
def load(*args, **kwargs):
    return loader.load(TEMPLATE.format(SCHEMA))
''',
    "tables from a constant list": '''
@data_loader
def load(*args, **kwargs):
    for table in ("orders", "customers"):
        cursor.execute(f"TRUNCATE TABLE {table}")
''',
    "env database name, values bound": '''
@data_loader
def load(rows, *args, **kwargs):
    db = os.getenv("WAREHOUSE_DB", "analytics")
    client.execute(f"INSERT INTO {db}.clean_rows (a, b) VALUES", rows)
''',
    "helper filled with constants and env": '''
def _insert(client, table, df, columns):
    present = [c for c in columns if c in df.columns]
    client.execute(f"INSERT INTO {table} ({', '.join(present)}) VALUES", df.to_dict("records"))

@data_loader
def load(df, *args, **kwargs):
    db = os.environ["WAREHOUSE_DB"]
    _insert(client, f"{db}.silver", df, ["id", "name"])
    _insert(client, db + ".gold", df, columns=["id"])
''',
}

FIRING_SQL = {
    "table from a run-time variable": '''
@data_loader
def load(*args, **kwargs):
    table = kwargs.get("table")
    return pd.read_sql(f"SELECT * FROM {table}", engine)
''',
    "names read from the database": '''
@data_loader
def load(*args, **kwargs):
    result = loader.load("SELECT table_name FROM all_tables")
    for name in result["TABLE_NAME"].tolist():
        loader.load(f"SELECT column_name FROM all_tab_columns WHERE table_name = '{name}'")
''',
    "helper also called with run-time input": '''
def _count(table):
    return cursor.execute(f"SELECT count(*) FROM {table}")

@data_loader
def load(*args, **kwargs):
    _count("orders")
    return _count(kwargs["table"])
''',
    "helper nobody in the module calls": '''
def count_rows(table):
    return cursor.execute(f"SELECT count(*) FROM {table}")
''',
    "constant rebound to input": '''
@data_loader
def load(*args, **kwargs):
    owner = "OPS"
    owner = kwargs["owner"]
    return loader.load(f"SELECT * FROM views WHERE owner = '{owner}'")
''',
}


@pytest.mark.parametrize("name", QUIET_SQL)
def test_sql_built_only_from_the_modules_own_values_is_not_injection(name):
    assert [r for r in ast_risks("b.py", HEAD + QUIET_SQL[name]) if r["kind"] == "sql_injection"] == []


@pytest.mark.parametrize("name", FIRING_SQL)
def test_sql_with_outside_text_still_fires(name):
    assert [r["kind"] for r in ast_risks("b.py", HEAD + FIRING_SQL[name])] == ["sql_injection"]


EVAL_CONSTANT = '''
def build(spec):
    steps = []
    for part in spec.split("->"):
        name, params = part.split("(")[0], part.split("(")[1][:-1]
        params = eval(f"dict({params})", {"__builtins__": {}}, {})    # rebinds the name it reads
        steps.append((name, params))
    return steps

def choose(kind):
    known = {"basic": "Flip(p=0.5)->Rotate(d=10)", "strong": "Flip(p=1)"}
    if kind not in known:
        raise TypeError(kind)
    return build(known[kind])
'''


def _bandit(tmp_path, text):
    path = tmp_path / "b.py"
    path.write_text(text)
    return bandit_risks([("p/b.py", str(path), text)])


def test_eval_of_an_entry_of_a_literal_dict_is_not_reported(tmp_path):
    assert _bandit(tmp_path, EVAL_CONSTANT) == []


def test_eval_reached_by_outside_text_still_fires(tmp_path):
    text = EVAL_CONSTANT + "\n@transformer\ndef transform(df, *args, **kwargs):\n    return build(kwargs['spec'])\n"
    assert [r["kind"] for r in _bandit(tmp_path, text)] == ["dynamic_code"]


@pytest.mark.parametrize("loader, fires", [
    ("Loader=yaml.FullLoader", False), ("Loader=yaml.SafeLoader", False), ("yaml.CSafeLoader", False),
    ("Loader=yaml.Loader", True), ("Loader=yaml.UnsafeLoader", True), (None, True),
])
def test_yaml_load_with_a_safe_or_full_loader_is_not_unsafe(tmp_path, loader, fires):
    call = "yaml.load(handle)" if loader is None else f"yaml.load(handle, {loader})"
    text = f"import yaml\ndef read(path):\n    with open(path) as handle:\n        return {call}\n"
    assert bool([r for r in _bandit(tmp_path, text) if r["kind"] == "unsafe_yaml_load"]) == fires


def test_findings_on_consecutive_lines_of_one_function_are_one(tmp_path):
    text = ("def read(row):\n    a = eval(row['a'])\n    b = eval(row['b'])\n    c = eval(row['c'])\n    return a, b, c\n"
            "def other(row):\n    return eval(row['d'])\n")
    frame = code_risks_frame(_bandit(tmp_path, text))
    assert frame[["line", "end_line"]].values.tolist() == [[2, 4], [7, 7]]
    assert "lines 2-4" in frame.loc[0, "detail"]


def test_adjacent_lines_of_two_functions_stay_two():
    rows = [dict(risk("dynamic_code"), line=3, scope="f"), dict(risk("dynamic_code"), line=4, scope="g")]
    assert len(code_risks_frame(rows)) == 2


def _code_findings(block_files: list[dict], rows: list[dict]) -> list:
    inventory = make_inventory(block_files=block_files)
    ctx = RuleContext(inventory=inventory, security=make_scan(code_risks=rows))
    return [f for rule_id in ("MAGE-SEC-013", "MAGE-SEC-014", "MAGE-SEC-012")
            for f in REGISTRY[rule_id](ctx).check()]


def test_no_code_risk_findings_in_block_files_no_pipeline_uses_or_untouched_templates():
    files = [{"path": "proj/transformers/used.py", "referenced": True},
             {"path": "proj/transformers/scratch.py", "referenced": False},
             {"path": "proj/transformers/template.py", "referenced": True}]
    rows = [dict(risk("dynamic_code"), path=f["path"]) for f in files] + \
           [dict(risk("sql_injection"), path="proj/utils/helpers.py")]    # not a block file: reported
    found = _code_findings(files, rows)
    assert sorted(f.path for f in found) == ["proj/transformers/template.py", "proj/transformers/used.py",
                                            "proj/utils/helpers.py"]
    frame = make_inventory(block_files=files).block_files.assign(template=[False, False, True])
    inventory = make_inventory(block_files=files)
    inventory.block_files = frame
    ctx = RuleContext(inventory=inventory, security=make_scan(code_risks=rows))
    assert sorted(f.path for f in REGISTRY["MAGE-SEC-014"](ctx).check()) == ["proj/transformers/used.py"]


def test_a_real_block_no_pipeline_uses_yet_is_reported_at_low_severity():
    """An unused file with its folder's Mage decorator is one click from running: its risky code
    is reported, at low severity and saying so; an unused scratch file (no decorator, or only the
    decorator of another block type, which Mage would not run from that folder) is not."""
    exporter = {"block_type": "data_exporter"}
    files = [{"path": "proj/data_exporters/dormant.py", "referenced": False, "decorators": ["data_exporter"], **exporter},
             {"path": "proj/data_exporters/scratch.py", "referenced": False, "decorators": [], **exporter},
             {"path": "proj/data_loaders/paste.py", "referenced": False, "decorators": ["data_exporter"],
              "block_type": "data_loader"},
             {"path": "proj/data_exporters/used.py", "referenced": True, "decorators": ["data_exporter"], **exporter}]
    rows = [dict(risk("sql_injection"), path=f["path"]) for f in files]
    found = {f.path: f for f in _code_findings(files, rows)}
    assert sorted(found) == ["proj/data_exporters/dormant.py", "proj/data_exporters/used.py"]
    assert found["proj/data_exporters/dormant.py"].severity == "low"
    assert "no pipeline uses yet" in found["proj/data_exporters/dormant.py"].message
    assert found["proj/data_exporters/used.py"].severity == "medium"


def test_trust_follows_bindings_calls_and_cycles():
    tree = ast.parse('''
import os
PREFIX = "raw_"
def helper(name, suffix="_v1"):
    full = PREFIX + name + suffix
    full += "_x"
    return full
def caller(kw):
    a = helper("orders")
    b = helper(kw)
    c = os.getenv("X")
    d = len(kw)
    e = [t.upper() for t in ("a", "b")]
    f = kw.get("x")
    g = (lambda v: v)(kw)
    return a, b, c, d, e, f, g
''')
    trust = ModuleTrust(tree)
    returned = next(n for n in ast.walk(tree) if isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple))
    verdicts = [trust.trusted(element) for element in returned.value.elts]
    # helper is also called with untrusted input, so both its result and its name parameter are untrusted
    assert verdicts == [False, False, True, True, True, False, False]
    tree2 = ast.parse("P = 'x'\ndef helper(name):\n    return P + name\ndef caller():\n    return helper('a')\n")
    trust2 = ModuleTrust(tree2)
    call = next(n for n in ast.walk(tree2) if isinstance(n, ast.Call))
    assert trust2.trusted(call)
    body_return = next(n for n in ast.walk(tree2) if isinstance(n, ast.Return))
    assert trust2.trusted(body_return.value)


def test_a_binding_does_not_reach_its_own_right_hand_side():
    tree = ast.parse("def f(kw):\n    q = 'a'\n    q = 'x' + q\n    r = kw\n    r = r + 'y'\n    return q, r\n")
    trust = ModuleTrust(tree)
    returned = next(n for n in ast.walk(tree) if isinstance(n, ast.Return))
    assert [trust.trusted(e) for e in returned.value.elts] == [True, False]
    only_self = ast.parse("def f():\n    q = q + 'x'\n    return q\n")
    assert not ModuleTrust(only_self).trusted(next(n for n in ast.walk(only_self) if isinstance(n, ast.Return)).value)
