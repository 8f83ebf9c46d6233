"""Risky code in blocks: each check fires on a risky snippet and stays quiet on its safe rewrite."""
from __future__ import annotations

import pytest

from auditkit.readers.security.code_risks import ast_risks, bandit_risks, yaml_tag_risks

CASES = [
    # (kind, risky body, safe body)
    ("sql_injection",
     'df = pd.read_sql(f"SELECT * FROM customers WHERE id = {customer_id}", engine)',
     'df = pd.read_sql("SELECT * FROM customers WHERE id = :id", engine, params={"id": customer_id})'),
    ("sql_injection",
     'query = "SELECT * FROM orders WHERE day = \'%s\'" % day\nrows = cursor.execute(query)',
     'query = "SELECT * FROM orders WHERE day = %s"\nrows = cursor.execute(query, (day,))'),
    ("sql_injection",
     'sql = "DELETE FROM t WHERE k = {}".format(key)\nloader.execute(sql)',
     'sql = "DELETE FROM t WHERE k = :k"\nloader.execute(sql, {"k": key})'),
    ("sql_injection",
     'loader.load("SELECT * FROM events WHERE src = " + source)',
     'loader.load("SELECT * FROM events " + "WHERE src = 1")'),
    ("pii_in_logs",
     'logger.info(f"processing customer {row[\'email\']}")',
     'logger.info(f"processing customer {hashlib.sha256(row[\'email\'].encode()).hexdigest()[:8]}")'),
    ("pii_in_logs",
     'print("calling", phone_number)',
     'print("calling customer", customer_id)'),
    ("pii_in_logs",
     'logging.warning("bad name %s %s", first_name, last_name)',
     'logging.warning("bad name for %s", customer_id)'),
]


@pytest.mark.parametrize("kind, risky, safe", CASES)
def test_ast_check_fires_on_risky_and_not_on_safe(kind, risky, safe):
    def wrap(body):
        return "def transform(df, customer_id=1, *args, **kwargs):\n" + "".join(f"    {ln}\n" for ln in body.splitlines())
    assert kind in {r["kind"] for r in ast_risks("b.py", wrap(risky))}
    assert kind not in {r["kind"] for r in ast_risks("b.py", wrap(safe))}


def test_sql_building_without_a_query_call_is_not_reported():
    text = 'def f(day):\n    label = f"SELECT report for {day}"\n    return label\n'
    assert ast_risks("b.py", text) == []


def test_unparsable_file_gives_no_rows_and_no_exception():
    assert ast_risks("b.py", "def broken(:\n") == []


BANDIT_CASES = [
    ("dynamic_code", "def f(rule):\n    return eval(rule)\n", "import ast\ndef f(rule):\n    return ast.literal_eval(rule)\n"),
    ("dynamic_code", "def f(code):\n    exec(code)\n", "def f(code):\n    return code\n"),
    ("unsafe_deserialization", "import pickle\ndef f(b):\n    return pickle.loads(b)\n", "import json\ndef f(b):\n    return json.loads(b)\n"),
    ("unsafe_yaml_load", "import yaml\ndef f(t):\n    return yaml.load(t)\n", "import yaml\ndef f(t):\n    return yaml.safe_load(t)\n"),
    ("shell_command", "import subprocess\ndef f(p):\n    subprocess.run('gsutil cp ' + p, shell=True)\n",
     "import subprocess\ndef f(p):\n    subprocess.run(['gsutil', 'cp', p])\n"),
    ("shell_command", "import os\ndef f(p):\n    os.system('rm ' + p)\n", "import os\ndef f(p):\n    os.remove(p)\n"),
]


@pytest.mark.parametrize("kind, risky, safe", BANDIT_CASES)
def test_bandit_check_fires_on_risky_and_not_on_safe(tmp_path, kind, risky, safe):
    bad, good = tmp_path / "bad.py", tmp_path / "good.py"
    bad.write_text(risky)
    good.write_text(safe)
    rows = bandit_risks([("p/bad.py", str(bad), risky), ("p/good.py", str(good), safe)])
    assert kind in {r["kind"] for r in rows if r["path"] == "p/bad.py"}
    assert not [r for r in rows if r["path"] == "p/good.py"]


def test_bandit_detail_never_quotes_code(tmp_path):
    text = "def f(extra):\n    password = 'canary-bandit-77' + extra\n    return eval(password)\n"
    path = tmp_path / "x.py"
    path.write_text(text)
    rows = bandit_risks([("x.py", str(path), text)])
    assert rows and all("canary" not in r["detail"] for r in rows)


def test_python_tag_in_yaml_fires_and_plain_yaml_does_not():
    bad = "name: p\ndescription: !!python/object/apply:os.system ['id']\n"
    assert [r["line"] for r in yaml_tag_risks("p/metadata.yaml", bad)] == [2]
    assert yaml_tag_risks("p/metadata.yaml", "name: p\ndescription: python tags are bad\n") == []
