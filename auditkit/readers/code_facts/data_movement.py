"""Data movement facts: what a block loads and exports and how (``loads_data``, ``exports_data``,
``export_modes``, ``unchunked_reads``, ``http_calls``, ``external_io``, ``has_checkpointing``,
``loops``, ``triggered_pipelines``: the pipelines a block starts with ``trigger_pipeline``)."""
from __future__ import annotations

import ast
import re

from auditkit.readers.code_facts.connections import CONNECT_CALLS
from auditkit.readers.code_facts.family import Family, FileState, Where
from auditkit.readers.code_facts.nodes import callee, const, dotted, kw
from auditkit.readers.literal_facts import SQL_SELECT_RE, SQL_START_RE
from auditkit.readers.textcues import mentions_any

DATA_MOVEMENT = Family("data movement")

LOAD_CALLS = frozenset({"read_sql", "read_sql_query", "read_sql_table", "read_csv", "read_parquet",
                        "read_json", "read_excel", "read_table", "read_feather", "read_orc",
                        "read_gbq", "read_fwf", "get_object", "download_file", "download_fileobj",
                        "fetchall", "fetchmany", "fetchone", "fetch_pandas_all", "to_dataframe"})
EXPORT_CALLS = frozenset({"to_sql", "to_csv", "to_parquet", "to_json", "to_excel", "to_feather",
                          "to_gbq", "export", "put_object", "upload_file", "upload_fileobj",
                          "insert_many", "insert_one", "bulk_write", "saveAsTable", "insertInto",
                          "write_pandas", "insert_rows_json", "load_table_from_dataframe"})
NOT_DATA_LOADERS = frozenset({"json", "yaml", "pickle", "toml", "tomllib", "dotenv", "joblib", "np",
                              "numpy", "importlib", "marshal", "dill", "cloudpickle"})
HTTP_MODULES = frozenset({"requests", "httpx", "session", "client", "http", "aiohttp"})
HTTP_READ = frozenset({"get"})
HTTP_WRITE = frozenset({"post", "put", "patch", "delete"})
# Calls that reach another system (for retries: what a network blip can fail). HTTP calls and
# connect-like calls count too; so does a pandas read of a remote URL.
REMOTE_CALLS = frozenset({"read_sql", "read_sql_query", "read_sql_table", "read_gbq", "to_gbq", "to_sql",
                          "urlopen", "urlretrieve", "get_object", "put_object", "upload_file", "download_file",
                          "upload_fileobj", "download_fileobj", "insert_rows_json", "load_table_from_dataframe",
                          "write_pandas", "fetch_pandas_all"})
CLOUD_CLIENT_CALLS = frozenset({"client", "resource", "Client"})
CLOUD_CLIENT_ROOTS = frozenset({"boto3", "storage", "bigquery", "pubsub", "firestore", "bigtable", "secretmanager",
                                "BlobServiceClient", "s3fs", "gcsfs"})
REMOTE_URL_PREFIXES = ("http://", "https://", "s3://", "s3a://", "gs://", "gcs://", "abfs://", "az://", "ftp://")
UNCHUNKED_READERS = frozenset({"read_csv", "read_json", "read_sql", "read_sql_query",
                               "read_sql_table", "read_table", "read_fwf"})
WHOLE_FILE_READS = frozenset({"read", "readlines", "read_text", "read_bytes"})
# Connect-like calls (CONNECT_CALLS) reach another system too, unless local.
LOCAL_CONNECT_ROOTS = frozenset({"signal", "socket", "sqlite3"})
CHECKPOINT_RE = re.compile(r"(?i)checkpoint|watermark|bookmark|resume_from|last_processed|high_water")
# Runs on the lower-cased text: case-insensitive alternations are slow in ``re``.
_CHECKPOINT_WORDS = tuple(CHECKPOINT_RE.pattern.removeprefix("(?i)").split("|"))


def may_checkpoint(lower: str) -> bool:
    """Text cue: a file without these words cannot name a checkpoint."""
    return mentions_any(lower, _CHECKPOINT_WORDS)


@DATA_MOVEMENT.on_start
def _start(state: FileState) -> None:
    state.open_names = set()   # variables holding an open() file
    state.reads = []           # (line, method, receiver) of .read()-like calls


@DATA_MOVEMENT.on_finish
def _whole_file_reads(state: FileState) -> None:
    for line, method, receiver in state.reads:
        if receiver == "open()" or receiver in state.open_names:
            state.facts["unchunked_reads"].append([line, f"{receiver}.{method}"])


@DATA_MOVEMENT.on_call(HTTP_READ, HTTP_WRITE)
def _http(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if root in HTTP_MODULES:
        facts = state.facts
        facts["http_calls"].append([call.lineno, f"{root}.{name}"])
        facts["external_io"].append([call.lineno, f"{root}.{name}"])
        facts["loads_data" if name in HTTP_READ else "exports_data"] = True


@DATA_MOVEMENT.on_call(CONNECT_CALLS)
def _connect_io(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if not (name == "connect" and root in LOCAL_CONNECT_ROOTS):
        state.facts["external_io"].append([call.lineno, dotted(call.func)])


@DATA_MOVEMENT.on_call(REMOTE_CALLS)
def _remote_io(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    state.facts["external_io"].append([call.lineno, dotted(call.func)])


@DATA_MOVEMENT.on_call(CLOUD_CLIENT_CALLS)
def _cloud_client(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if root in CLOUD_CLIENT_ROOTS:
        state.facts["external_io"].append([call.lineno, dotted(call.func)])


@DATA_MOVEMENT.on_call(UNCHUNKED_READERS - REMOTE_CALLS)
def _remote_url_read(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    first = const(call.args[0]) if call.args else None
    if isinstance(first, str) and first.lower().startswith(REMOTE_URL_PREFIXES):
        state.facts["external_io"].append([call.lineno, dotted(call.func)])


@DATA_MOVEMENT.on_call(LOAD_CALLS)
def _load(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    state.facts["loads_data"] = True


@DATA_MOVEMENT.on_call("load")
def _loader_load(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if root and root not in NOT_DATA_LOADERS:    # loader.load(q), not json.load(fh)
        state.facts["loads_data"] = True


@DATA_MOVEMENT.on_call(EXPORT_CALLS)
def _export(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    state.facts["exports_data"] = True


@DATA_MOVEMENT.on_call("to_sql")
def _to_sql_mode(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    mode = const(kw(call, "if_exists")) or "fail"
    state.facts["export_modes"].append([call.lineno, str(mode).lower()])


@DATA_MOVEMENT.on_call("export")
def _mage_export_mode(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if kw(call, "unique_conflict_method") is not None or kw(call, "unique_constraints") is not None:
        mode = "upsert"
    else:
        mode = const(kw(call, "if_exists")) or "default"
    state.facts["export_modes"].append([call.lineno, str(mode).lower()])


@DATA_MOVEMENT.on_call("to_csv", "to_parquet", "to_json")
def _file_append_mode(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if const(kw(call, "mode")) in ("a", "a+"):
        state.facts["export_modes"].append([call.lineno, "append"])


@DATA_MOVEMENT.on_call("execute", "executemany", "sql")
def _sql_statement(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    sql = const(call.args[0]) if call.args else None
    if isinstance(sql, str) and SQL_START_RE.match(sql):
        state.facts["loads_data" if SQL_SELECT_RE.match(sql.lstrip()) else "exports_data"] = True


@DATA_MOVEMENT.on_call(UNCHUNKED_READERS)
def _unchunked_read(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if kw(call, "chunksize") is None and kw(call, "iterator") is None:
        state.facts["unchunked_reads"].append([call.lineno, dotted(call.func)])


@DATA_MOVEMENT.on_call(WHOLE_FILE_READS)
def _whole_file_read(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if isinstance(call.func, ast.Attribute):
        receiver = dotted(call.func.value)
        if receiver.endswith("open()"):
            receiver = "open()"
        state.reads.append((call.lineno, name, receiver))   # judged at the end: was it open()ed?


@DATA_MOVEMENT.on_node(ast.With, ast.AsyncWith)
def _with_open(state: FileState, node: ast.With, where: Where) -> None:
    for item in node.items:
        expr = item.context_expr
        if isinstance(expr, ast.Call) and callee(expr.func) == "open" and isinstance(item.optional_vars, ast.Name):
            state.open_names.add(item.optional_vars.id)


@DATA_MOVEMENT.on_node(ast.Assign)
def _assign_open(state: FileState, node: ast.Assign, where: Where) -> None:
    value = node.value
    if type(value) is ast.Call and callee(value.func) == "open":
        state.open_names.update(t.id for t in node.targets if isinstance(t, ast.Name))


@DATA_MOVEMENT.on_node(ast.For, ast.While, ast.AsyncFor, ast.comprehension)
def _loop(state: FileState, node: ast.AST, where: Where) -> None:
    state.facts["loops"] += 1


@DATA_MOVEMENT.on_node(ast.Attribute, when=may_checkpoint)
def _checkpoint_attribute(state: FileState, node: ast.Attribute, where: Where) -> None:
    if not state.facts["has_checkpointing"] and CHECKPOINT_RE.search(node.attr):
        state.facts["has_checkpointing"] = True


@DATA_MOVEMENT.on_node(ast.Name, when=may_checkpoint)
def _checkpoint_name(state: FileState, node: ast.Name, where: Where) -> None:
    if not state.facts["has_checkpointing"] and CHECKPOINT_RE.search(node.id):
        state.facts["has_checkpointing"] = True


@DATA_MOVEMENT.on_call("trigger_pipeline")
def _trigger_pipeline(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    # mage_ai.orchestration.triggers.api.trigger_pipeline(pipeline_uuid, ...): the block hands
    # its data on to another pipeline. Only a literal uuid names which one.
    uuid = const(call.args[0]) if call.args else const(kw(call, "pipeline_uuid"))
    if isinstance(uuid, str) and uuid:
        state.facts["triggered_pipelines"].append([call.lineno, uuid])
