"""Copy-paste detection (auditkit/readers/clones.py): units survive renaming, differ on
literals and APIs, skip Mage boilerplate; clusters match a naive pairwise comparison."""
from __future__ import annotations

import ast
import random

from hypothesis import given, settings, strategies as st

from auditkit.readers.clones import clone_units, find_clone_clusters
from auditkit.readers.filejob import measure_file

LOADER = '''
import pandas as pd
if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def load_orders(*args, **kwargs):
    """Orders from the shop API."""
    url = "https://shop.example/api/orders"
    pages = []
    page = 1
    while True:
        reply = requests.get(url, params={"page": page}, timeout=30)
        reply.raise_for_status()
        rows = reply.json()["items"]
        if not rows:
            break
        pages.append(pd.DataFrame(rows))
        page += 1
    frame = pd.concat(pages)
    frame = frame.dropna(subset=["id"])
    return frame
'''


def units(text, language="python"):
    return clone_units(text, ast.parse(text) if language == "python" else None, language)


def n_units(u):
    return len(u["h"]) // 16


def test_renamed_copy_has_the_same_units_and_other_literals_do_not():
    renamed = LOADER.replace("frame", "table").replace("pages", "chunks").replace("load_orders", "load_orders_2")
    assert units(renamed)["h"] == units(LOADER)["h"]
    other_api = LOADER.replace("raise_for_status", "close")
    assert units(other_api)["h"] != units(LOADER)["h"]


def test_imports_docstrings_and_the_globals_guard_give_no_unit():
    u = units(LOADER)
    first_lines = u["l"][0::2]
    assert min(first_lines) == 7         # the decorated function; imports and guard give nothing
    assert 9 not in first_lines          # nor the docstring
    assert n_units(u) >= 12


def test_syntax_error_and_markdown_give_none():
    assert clone_units("def (:", None, "python") is None
    assert clone_units("# title", None, "markdown") is None


def test_sql_units_ignore_case_whitespace_and_comments():
    a = units("SELECT id,\n  total\nFROM orders -- x\n", "sql")
    b = units("-- header\nselect   id,\ntotal\nfrom orders -- x\n", "sql")
    assert a["h"] == b["h"]


def test_measured_file_carries_units(tmp_path):
    path = tmp_path / "load_orders.py"
    path.write_text(LOADER)
    metrics, problems, _ = measure_file(str(path), path.stat().st_size, "python")
    assert problems == [] and metrics["clones"] == units(LOADER)


def test_cluster_reports_members_and_copied_lines():
    copy = LOADER.replace("frame", "table")
    other = "def f(a):\n    return a + 1\n"
    clusters = find_clone_clusters([("a", "python", units(LOADER)), ("b", "python", units(copy)),
                                    ("c", "python", units(other))], window=6)
    assert len(clusters) == 1
    assert [m.key for m in clusters[0]] == ["a", "b"]
    assert clusters[0][0].ranges == clusters[0][1].ranges == ((7, 23),)   # decorator to return


def test_families_never_match():
    text = "\n".join(f"x{i} = {i}" for i in range(12))
    u = units(text)
    assert find_clone_clusters([("a", "python", u), ("b", "r", u)], window=4) == []


def test_bad_units_are_ignored():
    assert find_clone_clusters([("a", "python", {"h": "zz", "l": [1]}), ("b", "python", None)], 2) == []


def naive_clusters(files, window):
    """Every pair of files, every pair of windows: the definition, quadratic."""
    seqs = {key: [u["h"][i:i + 16] for i in range(0, len(u["h"]), 16)] for key, _, u in files}
    grams = {key: {tuple(s[i:i + window]) for i in range(len(s) - window + 1)} for key, s in seqs.items()}
    parent = {key: key for key in grams}

    def root(k):
        while parent[k] != k:
            k = parent[k]
        return k
    keys = sorted(grams)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            if grams[a] & grams[b]:
                parent[root(b)] = root(a)
    groups = {}
    for k in keys:
        groups.setdefault(root(k), []).append(k)
    return sorted(sorted(g) for g in groups.values() if len(g) >= 2)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_clusters_equal_naive_pairwise_comparison(seed, window):
    rng = random.Random(seed)
    files = []
    for n in range(8):
        lines = [f"v = {rng.randint(0, 6)}" for _ in range(rng.randint(0, 12))]
        files.append((f"f{n}", "r", units("\n".join(lines), "r")))
    found = sorted([m.key for m in cluster] for cluster in find_clone_clusters(files, window))
    assert found == naive_clusters(files, window)


def test_worst_functions_are_named_as_radon_scores_them(tmp_path):
    from radon.complexity import cc_visit
    branches = "\n".join(f"    if x == {i}:\n        y += {i}" for i in range(9))
    text = f"def simple(x):\n    return x\n\n\ndef busy(x):\n    y = 0\n{branches}\n    return y\n"
    path = tmp_path / "t.py"
    path.write_text(text)
    metrics, _, _ = measure_file(str(path), path.stat().st_size, "python")
    radon = {b.name: b.complexity for b in cc_visit(text)}
    assert metrics["complex_functions"] == [["busy", 5, radon["busy"]]] and radon["busy"] == 10


def test_block_cues_find_stubs_wall_clock_windows_and_execution_date():
    from auditkit.readers.block_cues import block_cues
    stub = ("@data_loader\ndef load_data(*args, **kwargs):\n    '''Load.'''\n    # TODO\n    return pd.DataFrame()\n\n"
            "@test\ndef test_output(output, *args):\n    pass\n")
    assert block_cues(ast.parse(stub))["stub_functions"] == [[2, "load_data"]]
    real = "@transformer\ndef f(df, *a, **k):\n    return df.dropna()\n"
    assert block_cues(ast.parse(real))["stub_functions"] == []
    window = ("@data_loader\ndef load(*a, **kwargs):\n    since = datetime.utcnow() - timedelta(days=1)\n"
              "    df['loaded_at'] = datetime.now()\n    return query(since)\n")
    cues = block_cues(ast.parse(window))
    assert cues["wall_clock_windows"] == [[3, "datetime.utcnow()"]] and cues["uses_execution_date"] is False
    assert block_cues(ast.parse(window + "x = kwargs.get('execution_date')\n"))["uses_execution_date"] is True
    assert block_cues(None) is None


def test_wall_clock_text_and_stamps_are_not_windows():
    from auditkit.readers.block_cues import block_cues
    stamps = ("def f(df):\n    df['at'] = datetime.utcnow().isoformat() + 'Z'\n    day = date.today()\n"
              "    cutoff = datetime.now().date() - timedelta(days=7)\n    return df[df.day >= time.time()]\n")
    assert block_cues(ast.parse(stamps))["wall_clock_windows"] == [[4, "datetime.now()"], [5, "time.time()"]]


def test_environment_pins_are_found_by_kind_and_getenv_defaults_are_not():
    from auditkit.readers.block_cues import block_cues, env_literal_kind
    text = ("import os\nendpoint = os.getenv('S3_ENDPOINT', 'http://minio:9000')\n"
            "client.put_object(Bucket='raw', Key='k')\nroot = '/home/ubuntu/data'\nhost = 'minio:9000'\n"
            "db = 'postgresql://u@db:5432/x'\nurl = 'https://api.github.com/repos'\nwhen = '12:30'\n")
    assert block_cues(ast.parse(text))["env_literals"] == [
        [3, "bucket name"], [4, "absolute local path"], [5, "host:port endpoint"]]
    assert [env_literal_kind(v) for v in ("10.0.3.4", "localhost", "s3://b/x", "/home/src/default_repo", "v1.2.3.4")] \
        == ["IP address", "localhost", "bucket URL", None, None]
