"""code_facts: for every agreed key, one snippet that yields the fact and one that does not."""
from __future__ import annotations

import ast
import textwrap
import time

import pytest

from auditkit.readers.code_facts import code_facts, empty_facts


def facts_of(source: str, language: str = "python") -> dict:
    source = textwrap.dedent(source)
    tree = ast.parse(source) if language == "python" else None
    return code_facts(source, tree, language)


def truthy(value) -> bool:
    return bool(value)


# (key, source that yields the fact, source that does not)
CASES = [
    ("loads_data", "import pandas as pd\ndf = pd.read_sql('SELECT 1', conn)\n",
     "import pandas as pd\ndf = pd.DataFrame({'a': [1]})\n"),
    ("loads_data", "def f(loader):\n    return loader.load(QUERY)\n",
     "import json\ncfg = json.load(fh)\n"),
    ("loads_data", "import requests\nr = requests.get(URL, timeout=5)\n",
     "r = kwargs.get('x')\n"),
    ("exports_data", "df.to_sql('t', engine, if_exists='replace')\n", "df = df.dropna()\n"),
    ("exports_data", "loader.export(df, 'public', 't', if_exists='append')\n", "loader.load(q)\n"),
    ("exports_data", "s3.put_object(Bucket='b', Key='k', Body=b'')\n", "s3.get_object(Bucket='b', Key='k')\n"),
    ("hardcoded_dates", "q = \"SELECT * FROM customers WHERE month='2024-01'\"\n",
     "q = \"SELECT * FROM customers WHERE month = %(month)s\"\n"),
    ("hardcoded_dates", "from datetime import datetime\nstart = datetime(2024, 1, 31)\n",
     "from datetime import datetime\nstart = datetime.now()\n"),
    ("hardcoded_tables", "q = 'SELECT id FROM sales.orders o JOIN sales.items i ON o.id = i.order_id'\n",
     "q = f'SELECT id FROM {source_table}'\n"),
    ("connection_strings", "URL = 'postgresql://etl:pw@db.internal:5432/analytics'\n",
     "URL = os.getenv('DATABASE_URL')\n"),
    ("connection_strings", "c = psycopg2.connect(host='db.internal', dbname='x')\n",
     "c = psycopg2.connect(host=os.getenv('HOST'))\n"),
    ("print_calls", "print('rows', len(df))\n", "logger.info('rows %d', len(df))\n"),
    ("uses_logging", "import logging\nlogger = logging.getLogger(__name__)\n", "print('hello')\n"),
    ("uses_logging", "def f(*args, **kwargs):\n    log = kwargs.get('logger')\n", "def f(**kwargs):\n    x = kwargs.get('y')\n"),
    ("swallowed_exceptions", "try:\n    f()\nexcept Exception:\n    pass\n",
     "try:\n    f()\nexcept Exception as e:\n    logger.error('failed: %s', e)\n    raise\n"),
    # A print reaches the block log but the run goes on: still swallowed. A typed handler is a
    # deliberate fallback (parse, lookup), not a hidden failure.
    ("swallowed_exceptions", "def load():\n    try:\n        return fetch()\n    except Exception as e:\n        print(e)\n        return None\n",
     "for i in r:\n    try:\n        v = int(i)\n    except ValueError:\n        continue\n"),
    ("swallowed_exceptions", "try:\n    f()\nexcept:\n    result = None\n",
     "try:\n    x = d['k']\nexcept KeyError:\n    x = compute_default()\n"),
    # Re-raised inside a context manager, handed back to the caller, stored for later, or
    # best-effort cleanup: nothing is hidden.
    ("swallowed_exceptions", "try:\n    f()\nexcept Exception:\n    pass\n",
     "try:\n    f()\nexcept Exception:\n    with lock:\n        note()\n        raise\n"),
    ("swallowed_exceptions", "try:\n    f()\nexcept BaseException:\n    return {}\n",
     "def call():\n    try:\n        return f()\n    except Exception as exc:\n        return {'error': str(exc)}\n"),
    ("swallowed_exceptions", "try:\n    f()\nexcept (OSError, Exception):\n    done = False\n",
     "for item in items:\n    try:\n        f(item)\n    except Exception as exc:\n        errors.append((item, exc))\n"),
    ("swallowed_exceptions", "try:\n    upload()\nexcept Exception:\n    pass\n",
     "try:\n    conn.close()\n    os.remove(tmp)\nexcept Exception:\n    pass\n"),
    # a conversion with a default, and best effort inside a finally while another error goes on
    ("swallowed_exceptions", "def f(x):\n    try:\n        return fetch(x)\n    except:\n        return None\n",
     "def f(x):\n    try:\n        return datetime.strptime(x, '%Y-%m-%d')\n    except:\n        return None\n"),
    ("swallowed_exceptions", "try:\n    work()\nexcept Exception:\n    notify_nobody = True\n",
     "try:\n    work()\nfinally:\n    try:\n        log_run()\n    except Exception:\n        pass\n"),
    ("export_modes", "df.to_sql('t', engine, if_exists='append')\n", "df.describe()\n"),
    ("export_modes", "q = 'INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING'\n", "q = 'SELECT a FROM t'\n"),
    ("has_checkpointing", "checkpoint_file = 'state.pkl'\n", "output_file = 'out.pkl'\n"),
    ("unchunked_reads", "df = pd.read_csv(path)\n", "for chunk in pd.read_csv(path, chunksize=10000):\n    use(chunk)\n"),
    ("unchunked_reads", "with open(p) as fh:\n    data = fh.read()\n", "with open(p) as fh:\n    for line in fh:\n        use(line)\n"),
    # what a network blip can fail: databases, HTTP, object stores, remote URLs; not local files
    ("external_io", "r = requests.get(URL)\ns3 = boto3.client('s3')\ndf = pd.read_csv('https://x/y.csv')\n",
     "df = pd.read_csv('data/y.csv')\ncon = sqlite3.connect('local.db')\n"),
    ("connections_opened", "engine = create_engine(URL)\n", "engine = get_engine()\n"),
    # Mage's BigQuery io, HTTP/websocket clients and in-process DuckDB hold no database session;
    # Mage's MongoDB and ClickHouse io offer no close() to call (pymongo's client does)
    ("connections_opened", "loader = Postgres.with_config(ConfigFileLoader(p, 'default'))\n"
                           "client = pymongo.MongoClient(url)\n",
     "BigQuery.with_config(ConfigFileLoader(p, 'default')).export(df, 't')\n"
     "MongoDB.with_config(ConfigFileLoader(p, 'default')).export(df, collection='c')\n"
     "ClickHouse.with_config(ConfigFileLoader(p, 'default')).load(q)\n"
     "ws = websockets.connect(url)\ncon = duckdb.connect()\ns = requests.Session()\n"),
    ("closes_connections", "conn = psycopg2.connect(URL)\ntry:\n    q(conn)\nfinally:\n    conn.close()\n",
     "conn = psycopg2.connect(URL)\nq(conn)\n"),
    ("closes_connections", "with Postgres.with_config(cfg) as loader:\n    loader.load(q)\n",
     "loader = Postgres.with_config(cfg)\nloader.load(q)\n"),
    ("uses_pool", "engine = create_engine(URL)\n\ndef load():\n    return pd.read_sql(q, engine)\n",
     "def load():\n    engine = create_engine(URL)\n    return pd.read_sql(q, engine)\n"),
    ("uses_pool", "def load():\n    engine = create_engine(URL, pool_size=5)\n", "def load():\n    engine = create_engine(URL)\n"),
    ("assertions", "@test\ndef test_output(output, *args):\n    assert output is not None\n",
     "def helper(output):\n    assert output is not None\n"),
    ("dq_checks", "@test\ndef test_output(output, *args):\n    assert output['id'].notna().all()\n",
     "@test\ndef test_output(output, *args):\n    assert output is not None\n"),
    # checks chained with `and`: a schema check on the columns and a value check by counting
    ("dq_checks", "@test\ndef test_output(output, *args):\n"
                  "    assert 'vendor_id' in output.columns and (output['passengers'] == 0).sum() == 0\n",
     "@test\ndef test_output(output, *args):\n    assert output is not None and len(output) > 0\n"),
    ("dq_checks", "@test\ndef test_output(output, *args):\n    assert (output['amount'] >= 0).all()\n",
     "@test\ndef test_output(output, *args):\n    assert len(output) > 0\n"),
    ("env_access", "import os\nkey = os.getenv('API_KEY')\n", "key = settings.API_KEY\n"),
    ("env_access", "import os\nkey = os.environ['API_KEY']\n", "key = 'x'\n"),
    ("raw_connections", "def f():\n    return psycopg2.connect(dsn)\n",
     "with Postgres.with_config(cfg) as loader:\n    loader.load(q)\n"),
    ("io_profiles", "cfg = ConfigFileLoader(path, 'dev')\n", "cfg = ConfigFileLoader(path, kwargs.get('profile'))\n"),
    ("io_profiles", "config_profile = 'prod'\n", "config_profile = kwargs['profile']\n"),
    ("env_branching", "ENV = os.getenv('ENVIRONMENT', 'development')\nif ENV == 'production':\n    url = A\n",
     "mode = kwargs.get('mode')\nif mode == 'full':\n    url = A\n"),
    ("loops", "for row in rows:\n    use(row)\n", "use(rows)\n"),
    ("loops", "ids = [r.id for r in rows]\n", "ids = list(rows)\n"),
    ("http_calls", "import httpx\nhttpx.post(URL, json=payload)\n", "cfg = config.get('url')\n"),
    ("triggered_pipelines", "trigger_pipeline('orders_dbt', check_status=False)\n",
     "trigger_pipeline(kwargs['next_pipeline'])\n"),
    ("has_checkpointing", "state.last_processed_id = max_id\n", "state.max_id = max_id\n"),
]


@pytest.mark.parametrize("key,fires,quiet", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_fact_fires_and_stays_quiet(key, fires, quiet):
    assert truthy(facts_of(fires)[key]), f"{key} should be found in:\n{fires}"
    assert not truthy(facts_of(quiet)[key]), f"{key} should not be found in:\n{quiet}"


def test_every_agreed_key_is_covered_by_a_case():
    agreed = {"loads_data", "exports_data", "hardcoded_dates", "hardcoded_tables", "connection_strings",
              "print_calls", "uses_logging", "swallowed_exceptions", "export_modes", "has_checkpointing",
              "unchunked_reads", "connections_opened", "closes_connections", "uses_pool", "assertions",
              "dq_checks", "env_access", "env_branching", "external_io"}
    assert agreed <= set(empty_facts())
    assert agreed <= {c[0] for c in CASES}
    assert set(empty_facts()) <= {c[0] for c in CASES}   # the later keys too (loops, http_calls, ...)


def test_lines_and_details_point_at_the_right_place():
    facts = facts_of('''
        import pandas as pd

        def load():
            q = """
                SELECT *
                FROM shop.orders
                WHERE created_at >= '2024-01-31'
            """
            print(q)
            return pd.read_csv('x.csv')
    ''')
    assert facts["hardcoded_tables"] == [[7, "shop.orders"]]
    assert facts["hardcoded_dates"][0][0] == 8
    assert "2024-01-31" in facts["hardcoded_dates"][0][1]
    assert facts["print_calls"] == [10]
    assert facts["unchunked_reads"] == [[11, "pd.read_csv"]]


def test_mage_export_with_unique_constraints_is_an_upsert():
    facts = facts_of("loader.export(df, table_name='T', if_exists='append', unique_conflict_method='UPDATE',"
                     " unique_constraints=['id'])\n")
    assert facts["export_modes"] == [[1, "upsert"]]


def test_connection_string_value_never_stored():
    secret = "s3cr3tPassw0rd"
    facts = facts_of(f"URL = 'mysql+pymysql://admin:{secret}@10.0.0.5/app'\nsince = 'x={secret}&d=2024-02-02'\n")
    assert facts["connection_strings"] == [[1, "mysql"]]
    assert secret not in repr(facts)
    assert facts["hardcoded_dates"] == [[2, "d=2024-02-02"]]


def test_placeholder_urls_and_docstrings_are_not_facts():
    facts = facts_of('''
        """Reads rows FROM customers since 2024-01-01 (docstring, not code)."""
        TEMPLATE = "mongodb://{username}:{password}@{host}:{port}/"
        URL = f"postgresql://{user}:{pw}@{host}/db"
    ''')
    assert facts["connection_strings"] == []
    assert facts["hardcoded_dates"] == []
    assert facts["hardcoded_tables"] == []


def test_sql_without_tables_noise():
    facts = facts_of('''
        q = """WITH recent AS (SELECT * FROM raw.events)
               SELECT EXTRACT(YEAR FROM created_at) FROM recent, unnest(tags)"""
        w = "INSERT INTO mart.daily (a, b) SELECT a, b FROM {{ df_1 }}"
    ''')
    assert [t[1] for t in facts["hardcoded_tables"]] == ["raw.events", "mart.daily"]


def test_sql_file_facts():
    sql = textwrap.dedent("""\
        -- loaded since 2020-01-01 (comment, ignored)
        INSERT INTO mart.revenue
        SELECT * FROM raw.payments
        WHERE paid_at >= '2024-03-01'
          AND paid_at < '{{ execution_date.strftime("%Y-%m-%d") }}'
    """)
    facts = code_facts(sql, None, "sql")
    assert facts["loads_data"] and facts["exports_data"]
    assert facts["hardcoded_dates"] == [[4, "paid_at >= '2024-03-01'"]]
    assert facts["export_modes"] == [[2, "insert"]]
    quiet = code_facts("SELECT * FROM {{ df_1 }} WHERE d = '{{ ds }}'", None, "sql")
    assert not quiet["exports_data"] and quiet["hardcoded_dates"] == [] and quiet["hardcoded_tables"] == []


def test_unparsable_python_and_other_languages_still_return_every_key():
    broken = "def f(:\n    print('x')\n    url = 'postgresql://u:p@h/db'\n"
    facts = code_facts(broken, None, "python")
    assert set(facts) == set(empty_facts())
    assert facts["print_calls"] == [2]
    assert facts["connection_strings"] == [[3, "postgresql"]]
    assert code_facts("# notes", None, "markdown") == empty_facts()


def test_fast_enough_for_large_repos():
    source = textwrap.dedent('''
        import pandas as pd
        if 'data_loader' not in globals():
            from mage_ai.data_preparation.decorators import data_loader

        @data_loader
        def load(*args, **kwargs):
            """Load orders."""
            q = "SELECT * FROM shop.orders WHERE d >= '2024-01-01'"
            try:
                df = pd.read_sql(q, conn)
            except Exception:
                pass
            for i in range(10):
                print(i)
            return df
    ''') * 8
    tree = ast.parse(source)
    started = time.perf_counter()
    for _ in range(200):
        code_facts(source, tree, "python")
    per_file = (time.perf_counter() - started) / 200
    # Measured about 3 ms for these ~130 lines (ast.parse alone takes ~1 ms); 40,000 typical
    # block files then take about a minute per core. The bound leaves room for a busy CI host
    # while still catching a per-node regex or a quadratic walk.
    assert per_file < 0.015, f"{per_file * 1000:.2f} ms per file"


def test_text_prefilters_never_change_the_facts():
    """The text-wide prefilters (checkpoint words, environment words) only skip work: with
    them forced open, every Python file of the demo and the fixtures gives the same facts."""
    from pathlib import Path

    from auditkit.readers.code_facts.facts import python_facts

    root = Path(__file__).resolve().parents[1]
    files = [p for base in (root / "auditkit" / "demo" / "project", root / "tests" / "fixtures")
             for p in base.rglob("*.py")]
    assert len(files) > 40
    differing = []
    for path in files:
        text = path.read_text(errors="replace")
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        filtered, unfiltered = empty_facts(), empty_facts()
        python_facts(tree, text, filtered)
        python_facts(tree, "checkpoint env stage", unfiltered)   # both prefilters open
        if filtered != unfiltered:
            differing.append(path.name)
    assert not differing
    # And the prefilter does skip: the environment branch is still found when it is there.
    assert facts_of("import os\nif os.getenv('ENV') == 'prod':\n    pass\n")["env_branching"]
    assert facts_of("last_checkpoint = 1\n")["has_checkpointing"]


# -- the walk's shortcuts give the facts of the plain walk ------------------------------------

def _scan_every_registration(self):
    """A call handler that asks every family's every registration about every call (what
    ``on_call``/``on_keyword``/``on_call_in_assert`` promise), instead of the merged tables
    the walk looks names up in."""
    from auditkit.readers.code_facts.nodes import call_name

    def on_call(state, call, where):
        name, root = call_name(call)
        for family in self.families:
            for names, handler in family.call_handlers:
                if name in names:
                    handler(state, call, name, root, where)
            for keyword in call.keywords:
                for names, handler in family.keyword_handlers:
                    if keyword.arg in names:
                        handler(state, call, keyword, where)
            if where.in_assert:
                for handler in family.assert_call_handlers:
                    handler(state, call, name, root, where)
    return on_call


def _vocabulary() -> list[str]:
    from auditkit.readers.code_facts.facts import DISPATCHER

    calls, _keywords, _in_assert = DISPATCHER.call_tables()
    names = set(calls) | {"all", "expect_column_values_to_not_be_null", "groupby", "merge",
                          "apply", "open", "cursor", "begin", "Session", "closing"}
    return sorted(names)


@pytest.mark.parametrize("in_assert", [False, True])
def test_call_shortcut_changes_no_fact(monkeypatch, in_assert):
    """Calls run only the handlers registered for their name (one dict lookup): for every name
    a family registers (and some no family does), with every receiver and keyword shape, the
    facts are those of asking every registration about every call."""
    from auditkit.readers.code_facts import facts as cf
    from auditkit.readers.code_facts.family import Dispatcher

    receivers = ["", "pd.", "os.environ.", "requests.", "logger.", "self.log.", "warnings.", "psycopg2.",
                 "S3.", "open('f').", "engine.", "loader.", "signal."]
    argument_lists = ["", "'logger'", "2024, 1, 2", "'SELECT 1'", "'INSERT INTO t VALUES (1)'",
                      "x, chunksize=10", "host='db.internal'", "pool_size=5", "if_exists='append'",
                      "mode='a'", "'path', 'dev'", "profile='prod'", "unique_conflict_method='UPDATE'"]
    lines = []
    for name in _vocabulary():
        for receiver in receivers:
            for args in argument_lists:
                call = f"{receiver}{name}({args})"
                lines.append(f"assert {call}" if in_assert else f"value = {call}")
    source = "\n".join(lines) + "\n"
    tree = ast.parse(source)
    fast = code_facts(source, tree, "python")
    monkeypatch.setattr(Dispatcher, "call_dispatcher", _scan_every_registration)
    monkeypatch.setattr(cf, "DISPATCHER", Dispatcher(cf.FAMILIES))
    plain = code_facts(source, tree, "python")
    assert fast == plain
    assert fast["uses_pool"] and fast["loads_data"] and fast["connections_opened"]


def test_same_line_facts_come_out_in_line_then_detail_order():
    facts = facts_of("q = ('2024-03-01', '2023-01-01'); d = datetime(2022, 5, 1)\n")
    assert [line for line, _ in facts["hardcoded_dates"]] == [1, 1, 1]
    assert [detail for _, detail in facts["hardcoded_dates"]] == sorted(detail for _, detail in facts["hardcoded_dates"])
