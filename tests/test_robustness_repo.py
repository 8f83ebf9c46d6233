"""Hostile and broken input for the repo reader: it never crashes, hangs, reads outside the repo
or blows up memory; every problem becomes an input problem with a path and a reason.

Two halves: hypothesis property tests over the four hand-written inputs (pipeline YAML,
trigger YAML, io_config, Python block source), and one test per specific hostile case named
in issue 7. Cases that could hang or exhaust memory run ``read_repo`` in a child process with
a wall-clock timeout and an address-space limit, so a regression fails instead of freezing
the suite.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import uuid as uuidlib
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CHILD_MEMORY_LIMIT = 2 * 1024 ** 3   # address space for the isolated reader (bytes)

GOOD_LOADER = textwrap.dedent("""\
    if 'data_loader' not in globals():
        from mage_ai.data_preparation.decorators import data_loader


    @data_loader
    def load_orders(*args, **kwargs):
        return [1, 2, 3]
    """)
GOOD_TRANSFORMER = GOOD_LOADER.replace("data_loader", "transformer").replace("load_orders", "clean")
GOOD_PIPELINE = {
    "name": "good", "uuid": "good", "type": "python",
    "blocks": [
        {"uuid": "load_orders", "type": "data_loader", "language": "python",
         "upstream_blocks": [], "downstream_blocks": ["clean"]},
        {"uuid": "clean", "type": "transformer", "language": "python",
         "upstream_blocks": ["load_orders"], "downstream_blocks": []},
    ],
}
# Contract columns (docs/architecture.md) that every frame keeps even when input is hostile.
CONTRACT_COLUMNS = {
    "pipelines": {"project", "pipeline", "path", "n_blocks"},
    "blocks": {"project", "pipeline", "block", "block_type", "path", "path_source", "file_exists"},
    "block_files": {"project", "path", "block_type", "lines_total", "skipped"},
    "triggers": {"project", "pipeline", "path", "name", "valid", "problem"},
    "io_config": {"project", "profile", "key", "value_kind", "fingerprint"},
    "input_problems": {"path", "kind", "reason", "project"},
}


def write_project(root: Path, name: str = "proj") -> Path:
    """A small valid Mage project (one pipeline, two blocks) that hostile files are added to."""
    proj = root / name
    for folder in ("data_loaders", "transformers", "data_exporters", "pipelines/good"):
        (proj / folder).mkdir(parents=True, exist_ok=True)
    (proj / "metadata.yaml").write_text("project_type: standalone\nvariables_dir: ~/.mage_data\n")
    (proj / "io_config.yaml").write_text("version: 0.1.1\ndefault:\n  POSTGRES_PORT: 5432\n")
    (proj / "data_loaders" / "load_orders.py").write_text(GOOD_LOADER)
    (proj / "transformers" / "clean.py").write_text(GOOD_TRANSFORMER)
    (proj / "pipelines" / "good" / "metadata.yaml").write_text(yaml.safe_dump(GOOD_PIPELINE))
    return proj


def add_pipeline(proj: Path, name: str, text: str | bytes) -> Path:
    folder = proj / "pipelines" / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "metadata.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def frames_of(inv) -> dict[str, pd.DataFrame]:
    return {name: getattr(inv, name) for name in dir(inv)
            if not name.startswith("_") and isinstance(getattr(inv, name, None), pd.DataFrame)}


def dump_frames(inv) -> str:
    """Every cell of every frame as text, to search for values that must never appear."""
    return "\n".join(frame.to_csv() for frame in frames_of(inv).values())


def assert_inventory_sound(inv) -> None:
    """Invariants that hold whatever the input: columns kept, problems carry path and reason,
    paths are repo-relative, and the valid pipeline next to the hostile files is still read."""
    frames = frames_of(inv)
    for name, columns in CONTRACT_COLUMNS.items():
        assert columns <= set(frames[name].columns), (name, columns - set(frames[name].columns))
    problems = inv.input_problems
    for row in problems.itertuples():
        assert isinstance(row.path, str) and row.path, row
        assert isinstance(row.reason, str) and row.reason.strip(), row
        assert isinstance(row.kind, str) and row.kind, row
        assert not os.path.isabs(row.path) and not row.path.startswith(".."), row.path
    for name in ("blocks", "block_files", "pipelines"):
        for path in frames[name]["path"].dropna():
            assert not os.path.isabs(path) and not str(path).startswith(".."), (name, path)
    assert "good" in set(inv.pipelines["pipeline"])


def read_isolated(path: Path, timeout: float = 60) -> dict:
    """Run read_repo on ``path`` in a child process with a timeout and a memory limit."""
    script = textwrap.dedent("""\
        import json, resource, sys, time
        import pandas as pd
        limit = int(sys.argv[2])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        from auditkit.readers.repo import read_repo

        def peak_mb():
            # VmHWM is this process's own peak; ru_maxrss also counts the parent's peak, which
            # Linux carries over when the parent forks and execs this child.
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        started = time.perf_counter()
        inv = read_repo(sys.argv[1])
        elapsed = time.perf_counter() - started
        frames = {n: getattr(inv, n) for n in dir(inv)
                  if not n.startswith('_') and isinstance(getattr(inv, n, None), pd.DataFrame)}
        json.dump({
            "elapsed": elapsed,
            "maxrss_mb": peak_mb(),
            "problems": inv.input_problems.to_dict("records"),
            "dump": "\\n".join(f.to_csv() for f in frames.values()),
            "pipelines": inv.pipelines.to_dict("records"),
            "block_files": inv.block_files.to_dict("records"),
            "blocks": inv.blocks.to_dict("records"),
        }, sys.stdout, default=str)
        """)
    proc = subprocess.run([sys.executable, "-c", script, str(path), str(CHILD_MEMORY_LIMIT)],
                          capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    assert proc.returncode == 0, f"reader died (rc={proc.returncode}):\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


def problems_for(result: dict, path_part: str) -> list[dict]:
    return [p for p in result["problems"] if path_part in p["path"]]


# ---------------------------------------------------------------- property-based tests

# AUDITKIT_FUZZ_EXAMPLES=2000 runs a longer bug hunt; the suite default stays fast.
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("AUDITKIT_FUZZ_EXAMPLES", "60")), deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=24))
yaml_values = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                         st.dictionaries(st.text(max_size=8), kids, max_size=4)),
                           max_leaves=16)
hostile_paths = st.sampled_from(["../../../etc/passwd", "/etc/passwd", "data_loaders/load_orders.py",
                                 "proj/data_loaders/load_orders.py", "", ".", "..", "data_loaders",
                                 "a\x00b.py", "x" * 300, "~/.ssh/id_rsa", "dbt/../../../outside.sql"])
uuids = st.one_of(st.text(max_size=30), st.sampled_from(["load_orders", "clean", "api/load_x", "../up",
                                                         "/abs", "a/../../b", ""]),
                  st.integers(), st.none())
block_types = st.one_of(st.sampled_from(["data_loader", "transformer", "data_exporter", "custom", "sensor",
                                         "conditional", "callback", "dbt", "markdown", "chart", "scratchpad",
                                         "global_data_product", "extension", "pipeline", "nonsense"]),
                        yaml_values)
block_entries = st.fixed_dictionaries({}, optional={
    "uuid": uuids, "name": uuids, "type": block_types,
    "language": st.one_of(st.sampled_from(["python", "sql", "r", "yaml", "markdown", None]), yaml_values),
    "upstream_blocks": st.one_of(st.lists(uuids, max_size=4), yaml_values),
    "downstream_blocks": st.one_of(st.lists(uuids, max_size=4), yaml_values),
    "configuration": st.one_of(yaml_values, st.fixed_dictionaries({}, optional={
        "file_source": st.one_of(yaml_values, st.fixed_dictionaries({"path": hostile_paths})),
        "file_path": hostile_paths, "dynamic": yaml_values, "reduce_output": yaml_values})),
    "retry_config": yaml_values, "executor_type": yaml_values, "timeout": yaml_values,
    "replicated_block": uuids, "has_callback": yaml_values,
})
block_lists = st.one_of(st.none(), yaml_values, st.lists(st.one_of(block_entries, yaml_values), max_size=6))
pipeline_docs = st.one_of(yaml_values, st.fixed_dictionaries({}, optional={
    "blocks": block_lists, "callbacks": block_lists, "conditionals": block_lists, "widgets": block_lists,
    "extensions": st.one_of(yaml_values, st.dictionaries(st.text(max_size=8),
                                                         st.fixed_dictionaries({"blocks": block_lists}), max_size=2)),
    "uuid": uuids, "name": uuids, "type": yaml_values, "tags": yaml_values,
    "concurrency_config": yaml_values, "retry_config": yaml_values, "settings": yaml_values,
    "run_pipeline_in_one_process": yaml_values, "executor_type": yaml_values,
    "executor_count": yaml_values, "notification_config": yaml_values,
}))
trigger_entries = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.text(max_size=20), yaml_values),
    "schedule_type": st.one_of(st.sampled_from(["time", "api", "event", "TIME", "bogus"]), yaml_values),
    "schedule_interval": st.one_of(st.sampled_from(["@daily", "@once", "0 6 * * *", "* * *", "61 25 * * *",
                                                    "@always_on", "@yearly", ""]), yaml_values),
    "start_time": st.one_of(st.datetimes(), st.dates(), st.sampled_from(["2024-13-45", "yesterday"]), yaml_values),
    "status": st.one_of(st.sampled_from(["active", "inactive", "ACTIVE", "paused"]), yaml_values),
    "sla": yaml_values, "settings": yaml_values, "envs": yaml_values, "variables": yaml_values,
    "token": st.one_of(st.text(max_size=40), yaml_values), "tags": yaml_values,
})
trigger_docs = st.one_of(yaml_values, st.fixed_dictionaries(
    {"triggers": st.one_of(yaml_values, st.lists(st.one_of(trigger_entries, yaml_values), max_size=5))}))


def dump_or_text(doc_strategy):
    """A YAML dump of a generated document, or a raw text (broken YAML, Jinja, junk)."""
    raw = st.one_of(st.text(max_size=400), st.sampled_from([
        "blocks: [", "blocks: {{ env_var('X') }}", "{% if x %}\nblocks: []\n{% endif %}", "- - - -",
        "key: !!python/object/apply:os.system ['touch /tmp/pwned']", "&a [*a]", "blocks: *undefined",
        "\t\tblocks:\n\t- x", "---\na: 1\n---\nb: 2", "%YAML 9.9\n---\na: 1"]))
    dumped = doc_strategy.map(lambda d: yaml.safe_dump(d, allow_unicode=True))
    return st.one_of(dumped, dumped, raw)


@PROPERTY_SETTINGS
@given(text=dump_or_text(pipeline_docs))
# Found by a longer hypothesis run: unhashable block type / language crashed the reader.
@example(text="blocks:\n- name: 0\n  type: []\n0:")
@example(text="blocks:\n- uuid: x\n  language: [247, {}]\n")
@example(text="blocks:\n- uuid: x\n  type: {a: 1}\n  configuration: {file_source: {path: [1]}}\n")
def test_any_pipeline_yaml_becomes_rows_or_input_problems(text):
    from auditkit.readers.repo import read_repo

    with tempfile.TemporaryDirectory() as tmp:
        proj = write_project(Path(tmp))
        add_pipeline(proj, "fuzzed", text)
        inv = read_repo(tmp)
        assert_inventory_sound(inv)
        pipeline_rows = set(inv.pipelines["pipeline"])
        problem_paths = set(inv.input_problems["path"])
        # The fuzzed pipeline is either read or named by an input problem.
        assert "fuzzed" in pipeline_rows or any("pipelines/fuzzed" in p for p in problem_paths)


@PROPERTY_SETTINGS
@given(text=dump_or_text(trigger_docs))
def test_any_triggers_yaml_becomes_rows_or_input_problems(text):
    from auditkit.readers.repo import read_repo

    with tempfile.TemporaryDirectory() as tmp:
        proj = write_project(Path(tmp))
        (proj / "pipelines" / "good" / "triggers.yaml").write_text(text)
        inv = read_repo(tmp)
        assert_inventory_sound(inv)
        triggers = inv.triggers
        invalid = triggers[~triggers["valid"].astype(bool)]
        # An invalid trigger always says why.
        assert invalid["problem"].map(lambda p: isinstance(p, str) and bool(p.strip())).all()


secrets_literal = st.from_regex(r"\AZQX[A-Za-z0-9]{14}\Z")
io_values = st.one_of(secrets_literal, yaml_values, st.sampled_from([
    "{{ env_var('POSTGRES_PASSWORD') }}", "{{ mage_secret_var('pw') }}", "{{ env_var('X'", "{% raw %}",
    "{{ aws_secret_var('a') }}", "password", "{{ json_value(env_var('J'), 'k') }}"]))
io_docs = st.dictionaries(st.one_of(st.sampled_from(["default", "dev", "prod", "version"]), st.text(max_size=8)),
                          st.one_of(yaml_values, st.dictionaries(
                              st.one_of(st.sampled_from(["POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY",
                                                         "SNOWFLAKE_USER", "trino"]), st.text(max_size=10)),
                              st.one_of(io_values, st.dictionaries(st.text(max_size=6), io_values, max_size=3)),
                              max_size=6)), max_size=4)


@PROPERTY_SETTINGS
@given(doc=io_docs, secret=secrets_literal, quoted=st.booleans())
def test_io_config_never_leaks_a_literal_value(doc, secret, quoted):
    from auditkit.readers.repo import read_repo

    doc = dict(doc)
    doc["default"] = dict(doc.get("default") or {}) if isinstance(doc.get("default"), dict) else {}
    doc["default"]["POSTGRES_PASSWORD"] = secret
    text = yaml.safe_dump(doc, allow_unicode=True)
    if quoted:  # Jinja left unquoted, as in real io_config files
        text = text.replace("'{{", "{{").replace("}}'", "}}")
    with tempfile.TemporaryDirectory() as tmp:
        proj = write_project(Path(tmp))
        (proj / "io_config.yaml").write_text(text)
        inv = read_repo(tmp)
        assert_inventory_sound(inv)
        dumped = dump_frames(inv)
        for value in [secret] + [v for v in _leaves(doc) if isinstance(v, str) and v.startswith("ZQX")]:
            assert value not in dumped


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


# Line separators other than "\n" are left out so the expected line count is unambiguous.
source_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                             blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00"),
                      max_size=600)
source_pieces = st.lists(st.sampled_from([
    "if 'data_loader' not in globals():\n    from mage_ai.data_preparation.decorators import data_loader\n",
    "@data_loader\n", "def load(*a, **k):\n", "    return 1\n", "    '''doc'''\n", "@test\n",
    "def test_x(out):\n    assert out\n", "class A:\n    def m(self):\n        if x:\n            pass\n",
    "def broken(:\n", "    ", "lambda: (", "x = [" * 50 + "\n", "async def f():\n    await g()\n",
    "# -*- coding: latin-1 -*-\n", "\ufeff", "'''unterminated\n", "print('hi')\n",
    "match x:\n    case 1:\n        pass\n", "@decorator.attr(1)\n", "def f[T](x: T) -> T: ...\n",
]), max_size=20).map("".join)


@PROPERTY_SETTINGS
@given(source=st.one_of(source_text, source_pieces))
def test_any_python_block_source_is_measured_or_explained(source):
    from auditkit.readers.repo import read_repo

    with tempfile.TemporaryDirectory() as tmp:
        proj = write_project(Path(tmp))
        (proj / "data_loaders" / "load_orders.py").write_text(source, encoding="utf-8")
        inv = read_repo(tmp)
        assert_inventory_sound(inv)
        rows = inv.block_files[inv.block_files["path"] == "proj/data_loaders/load_orders.py"]
        assert len(rows) == 1
        row = rows.iloc[0]
        body = source[1:] if source.startswith("\ufeff") else source
        # Every readable file gets a line count equal to its number of lines.
        assert row["lines_total"] == len(body.splitlines())


# ---------------------------------------------------------------- specific hostile cases

def test_symlink_loops_do_not_hang(tmp_path):
    proj = write_project(tmp_path)
    (proj / "data_loaders" / "loop").symlink_to(proj / "data_loaders", target_is_directory=True)
    (proj / "transformers" / "up").symlink_to(proj, target_is_directory=True)
    (proj / "a.py").symlink_to(proj / "b.py")
    (proj / "b.py").symlink_to(proj / "a.py")
    (proj / "pipelines" / "self").symlink_to(proj / "pipelines", target_is_directory=True)
    result = read_isolated(tmp_path, timeout=60)
    assert result["elapsed"] < 30
    assert "good" in {p["pipeline"] for p in result["pipelines"]}
    paths = [f["path"] for f in result["block_files"]]
    # The loader is listed once, not once per trip round the loop.
    assert sum(p.endswith("load_orders.py") for p in paths) == 1, paths


def _outside(tmp_path: Path) -> tuple[Path, str]:
    outside = tmp_path / "outside"
    outside.mkdir()
    marker = f"OUTSIDE_MARKER_{uuidlib.uuid4().hex}"
    (outside / "secret.py").write_text(f"# {marker}\n@data_loader\ndef f():\n    return '{marker}'\n")
    (outside / "secret.yaml").write_text(f"blocks: []\nname: {marker}\n")
    (outside / "metadata.yaml").write_text(f"blocks: []\nname: {marker}\n")
    # A FIFO blocks whoever opens it for reading: if the reader ever opens it, the test times out.
    os.mkfifo(outside / "trap.py")
    return outside, marker


def test_symlinks_pointing_outside_are_never_followed(tmp_path):
    repo = tmp_path / "repo"
    proj = write_project(repo)
    outside, marker = _outside(tmp_path)
    (proj / "data_loaders" / "evil.py").symlink_to(outside / "secret.py")
    (proj / "data_loaders" / "trap.py").symlink_to(outside / "trap.py")
    (proj / "transformers" / "ext").symlink_to(outside, target_is_directory=True)
    (proj / "pipelines" / "linked").symlink_to(outside, target_is_directory=True)
    (proj / "io_config.yaml").unlink()
    (proj / "io_config.yaml").symlink_to(outside / "secret.yaml")
    result = read_isolated(repo, timeout=60)
    assert marker not in result["dump"]
    assert marker not in json.dumps(result["problems"])
    named = " ".join(p["path"] + " " + p["reason"] for p in result["problems"])
    for link in ("data_loaders/evil.py", "data_loaders/trap.py", "transformers/ext", "io_config.yaml"):
        assert link in named, (link, result["problems"])
    assert "good" in {p["pipeline"] for p in result["pipelines"]}


@pytest.mark.parametrize("how", ["relative", "absolute", "file_path", "project_prefixed"])
def test_file_source_path_outside_the_repo_is_never_read(tmp_path, how):
    repo = tmp_path / "repo"
    proj = write_project(repo)
    outside, marker = _outside(tmp_path)
    target = {"relative": "../../outside/secret.py", "absolute": str(outside / "secret.py"),
              "file_path": "../../outside/trap.py", "project_prefixed": "proj/../../outside/trap.py"}[how]
    key = "file_path" if how == "file_path" else "file_source"
    value = target if key == "file_path" else {"path": target}
    doc = {"name": "sneaky", "uuid": "sneaky", "type": "python", "blocks": [
        {"uuid": "evil", "type": "data_loader", "language": "python", "configuration": {key: value},
         "upstream_blocks": [], "downstream_blocks": []}]}
    add_pipeline(proj, "sneaky", yaml.safe_dump(doc))
    result = read_isolated(repo, timeout=60)
    assert marker not in result["dump"]
    evil = [b for b in result["blocks"] if b["block"] == "evil"]
    assert len(evil) == 1
    resolved = evil[0]["path"]
    assert resolved is None or not (str(resolved).startswith("..") or os.path.isabs(str(resolved)))
    assert str(evil[0]["file_exists"]) in ("False", "0")
    named = problems_for(result, "pipelines/sneaky")
    assert named, result["problems"]
    assert any("outside" in (p["kind"] + p["reason"]).lower() for p in named), named


def test_files_over_50_mb_are_skipped_with_a_note(tmp_path):
    proj = write_project(tmp_path)
    huge = proj / "data_loaders" / "huge_loader.py"
    with open(huge, "wb") as handle:           # sparse: no disk used, 60 MB reported
        handle.truncate(60 * 1024 * 1024)
    big_yaml = proj / "pipelines" / "huge"
    big_yaml.mkdir()
    with open(big_yaml / "metadata.yaml", "wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    result = read_isolated(tmp_path, timeout=60)
    row = [f for f in result["block_files"] if f["path"].endswith("huge_loader.py")]
    assert len(row) == 1 and row[0]["skipped"] and "50 MB" in row[0]["skipped"]
    assert problems_for(result, "data_loaders/huge_loader.py")
    assert problems_for(result, "pipelines/huge/metadata.yaml")
    # The 60 MB were never loaded: the whole read stays far below their size.
    assert result["maxrss_mb"] < 400


def test_binary_files_are_skipped_with_a_note(tmp_path):
    proj = write_project(tmp_path)
    (proj / "data_loaders" / "blob.py").write_bytes(bytes(range(256)) * 64)
    (proj / "transformers" / "model.sql").write_bytes(b"SELECT 1;\x00\x00\xff\xfe binary tail")
    add_pipeline(proj, "binary", b"\x00\x01\x02blocks: []\x00")
    result = read_isolated(tmp_path)
    rows = {f["path"].rsplit("/", 1)[-1]: f for f in result["block_files"]}
    assert rows["blob.py"]["skipped"] and "binary" in rows["blob.py"]["skipped"]
    assert rows["model.sql"]["skipped"] and "binary" in rows["model.sql"]["skipped"]
    assert problems_for(result, "data_loaders/blob.py")
    assert problems_for(result, "pipelines/binary/metadata.yaml")


def test_non_utf8_text_is_read_with_a_note(tmp_path):
    proj = write_project(tmp_path)
    (proj / "data_loaders" / "latin.py").write_bytes(
        "# Données clients\n@data_loader\ndef f():\n    return 'café'\n".encode("latin-1"))
    add_pipeline(proj, "latin", "name: caf\xe9\nuuid: latin\nblocks: []\n".encode("latin-1"))
    (proj / "io_config.yaml").write_bytes("default:\n  POSTGRES_USER: jos\xe9\n".encode("latin-1"))
    result = read_isolated(tmp_path)
    latin = [f for f in result["block_files"] if f["path"].endswith("latin.py")]
    assert latin and int(float(latin[0]["lines_total"])) == 4      # read despite bad bytes
    assert any(p["kind"] == "encoding" for p in problems_for(result, "latin.py"))
    assert problems_for(result, "pipelines/latin/metadata.yaml")
    assert "latin" in {p["pipeline"] for p in result["pipelines"]}


BILLION_LAUGHS = "\n".join(
    ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
       f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]" for i in range(8)]
    + ["blocks: *i"]) + "\n"


@pytest.mark.parametrize("name,text", [
    ("laughs", BILLION_LAUGHS),
    ("flow", "blocks: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("mapping", "".join("  " * i + f"k{i}:\n" for i in range(3000)) + "  " * 3000 + "x: 1\n"),
    ("sequence", "blocks:\n" + "".join("  " * i + "- \n" for i in range(3000))),
    ("recursive", "blocks: &r\n- *r\n"),
])
def test_yaml_bombs_and_deep_nesting_are_bounded(tmp_path, name, text):
    proj = write_project(tmp_path)
    add_pipeline(proj, name, text)
    (proj / "pipelines" / "good" / "triggers.yaml").write_text(text.replace("blocks:", "triggers:"))
    result = read_isolated(tmp_path, timeout=60)
    assert result["elapsed"] < 20
    assert result["maxrss_mb"] < 800
    assert problems_for(result, f"pipelines/{name}/metadata.yaml"), result["problems"]
    assert problems_for(result, "pipelines/good/triggers.yaml"), result["problems"]
    assert "good" in {p["pipeline"] for p in result["pipelines"]}


def test_deeply_nested_python_does_not_crash_the_reader(tmp_path):
    proj = write_project(tmp_path)
    (proj / "data_loaders" / "deep_expr.py").write_text("x = " + "+".join(["1"] * 200_000) + "\n")
    (proj / "data_loaders" / "deep_parens.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    (proj / "data_loaders" / "deep_ifs.py").write_text(
        "".join("    " * i + "if x:\n" for i in range(400)) + "    " * 400 + "pass\n")
    (proj / "data_loaders" / "long_line.py").write_text("x = '" + "a" * 5_000_000 + "'\n")
    result = read_isolated(tmp_path, timeout=90)
    names = {f["path"].rsplit("/", 1)[-1] for f in result["block_files"]}
    assert {"deep_expr.py", "deep_parens.py", "deep_ifs.py", "long_line.py"} <= names


def test_fifo_and_special_files_in_the_repo_do_not_block(tmp_path):
    proj = write_project(tmp_path)
    os.mkfifo(proj / "data_loaders" / "pipe.py")
    os.mkfifo(proj / "io_config.yaml.fifo")
    (proj / "pipelines" / "fifo").mkdir()
    os.mkfifo(proj / "pipelines" / "fifo" / "metadata.yaml")
    os.mkfifo(proj / "pipelines" / "good" / "triggers.yaml")
    result = read_isolated(tmp_path, timeout=60)
    assert "good" in {p["pipeline"] for p in result["pipelines"]}


def test_empty_files_are_fine(tmp_path):
    proj = write_project(tmp_path)
    (proj / "metadata.yaml").write_text("")
    (proj / "io_config.yaml").write_text("")
    (proj / "data_loaders" / "empty.py").write_text("")
    (proj / "pipelines" / "good" / "triggers.yaml").write_text("")
    add_pipeline(proj, "empty", "")
    add_pipeline(proj, "blank", "\n\n   \n# only a comment\n")
    result = read_isolated(tmp_path)
    empty = [f for f in result["block_files"] if f["path"].endswith("empty.py")]
    assert len(empty) == 1 and int(float(empty[0]["lines_total"])) == 0
    pipelines = {p["pipeline"]: p for p in result["pipelines"]}
    assert "good" in pipelines and int(pipelines["good"]["n_blocks"]) == 2
    for name in ("empty", "blank"):  # an empty pipeline file: a row with no blocks, or a problem
        assert (name in pipelines and int(pipelines[name]["n_blocks"]) == 0) or problems_for(result, f"pipelines/{name}/")


@pytest.mark.parametrize("body", ["blocks: null\n", "blocks:\n", "blocks: ~\ncallbacks: null\nconditionals: null\n",
                                  "blocks: 'not a list'\n", "blocks: {load: x}\n", "blocks: [null, 3, 'x', []]\n"])
def test_pipelines_with_null_or_odd_blocks(tmp_path, body):
    from auditkit.readers.repo import read_repo

    proj = write_project(tmp_path)
    add_pipeline(proj, "odd", f"name: odd\nuuid: odd\ntype: python\n{body}")
    inv = read_repo(tmp_path)
    assert_inventory_sound(inv)
    odd = inv.pipelines[inv.pipelines["pipeline"] == "odd"]
    assert len(odd) == 1
    assert int(odd["n_blocks"].iloc[0]) == 0
    assert (inv.blocks["pipeline"] == "odd").sum() == 0
    if body.strip() not in ("blocks: null", "blocks:", "blocks: ~\ncallbacks: null\nconditionals: null"):
        # A wrong shape (not null, not a list of mappings) is reported, not silently dropped.
        assert (inv.input_problems["path"].str.contains("pipelines/odd")).any()


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditkit.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=str(ROOT))


@pytest.mark.parametrize("layout", ["empty", "plain_python", "missing", "file"])
def test_check_on_a_folder_that_is_not_a_mage_repo_exits_2(tmp_path, layout):
    target = tmp_path / "not_mage"
    if layout == "plain_python":
        (target / "src").mkdir(parents=True)
        (target / "src" / "app.py").write_text("print('hello')\n")
        (target / "metadata.yaml").write_text("name: not mage\n")
        (target / "README.md").write_text("# a project\n")
    elif layout == "empty":
        target.mkdir()
    elif layout == "file":
        target.write_text("just a file\n")
    proc = run_cli("check", str(target))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("auditkit:")
    assert str(target.name) in proc.stderr or "Mage" in proc.stderr


def test_odd_file_names_survive_the_whole_check(tmp_path):
    """Names that are not valid UTF-8 (Python sees surrogate escapes), or hold newlines,
    spaces and quotes, must not break the reader, the rules or the JSON/CSV/SARIF writers."""
    proj = write_project(tmp_path / "repo")
    loaders = os.fsencode(proj / "data_loaders")
    for raw in (b"load_\xff\xfe.py", b"load with space.py", b"load\nnewline.py", b"load'\"quote.py"):
        with open(os.path.join(loaders, raw), "w") as handle:
            handle.write(GOOD_LOADER)
    os.makedirs(os.path.join(os.fsencode(proj / "pipelines"), b"pipe_\xe9"))
    with open(os.path.join(os.fsencode(proj / "pipelines"), b"pipe_\xe9", b"metadata.yaml"), "w") as handle:
        handle.write("blocks:\n- uuid: load with space\n  type: data_loader\n")
    out = tmp_path / "out"
    proc = run_cli("check", str(tmp_path / "repo"), "--format", "json", "--format", "csv", "--format", "sarif",
                   "--out", str(out))
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert json.loads((out / "findings.json").read_text(encoding="utf-8")) is not None
    assert json.loads((out / "findings.sarif").read_text(encoding="utf-8")) is not None
