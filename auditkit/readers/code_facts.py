"""Code facts of one block file: what it loads and exports, hard-coded values, logging,
error handling, connections, tests and environment handling.

``code_facts(text, tree, language)`` is called once per block file by ``readers/code.py`` with
the parsed AST for Python (None otherwise) and returns a flat dict stored in the ``facts``
column of ``block_files``. It makes one pass over the AST; string literals and SQL go through
:mod:`auditkit.readers.literal_facts`; every regex is compiled once at import.

Secret values never enter the result: connection strings are reported as a line and a kind only,
and a date snippet keeps only the identifier and operator in front of the date.
"""
from __future__ import annotations

import ast
import re
from typing import Any

from auditkit.readers.textcues import mentions_any
from auditkit.readers.literal_facts import SQL_SELECT_RE, SQL_START_RE, scan_string, sql_file_facts, text_facts

# Mage io classes whose with_config() opens nothing that needs closing (object stores, files).
# Roots of connect-like calls that hold no database session to leak: Mage io classes over
# object stores and HTTP APIs (BigQuery's client is an HTTP client), HTTP and websocket clients,
# and in-process DuckDB.
NO_CONNECTION_IO = frozenset({"S3", "GoogleCloudStorage", "AzureBlobStorage", "FileIO", "GoogleSheets",
                              "B2", "R2", "BigQuery", "Airtable", "Algolia", "Chroma", "Qdrant", "Weaviate",
                              "requests", "httpx", "aiohttp", "websockets", "websocket", "socketio",
                              "duckdb"})
CHECKPOINT_RE = re.compile(r"(?i)checkpoint|watermark|bookmark|resume_from|last_processed|high_water")
# A file whose text has none of these words cannot branch on the environment (see _is_env_test).
# Both prefilters run on the lower-cased text: case-insensitive alternations are slow in ``re``.
ENV_WORD_RE = re.compile(r"\b(?:mage_|deploy_|app_)?env(?:ironment|_name)?\b|\bstage\b")
_CHECKPOINT_WORDS = tuple(CHECKPOINT_RE.pattern.removeprefix("(?i)").split("|"))

# -- call vocabularies ----------------------------------------------------------------------

LOAD_CALLS = frozenset({"read_sql", "read_sql_query", "read_sql_table", "read_csv", "read_parquet",
                        "read_json", "read_excel", "read_table", "read_feather", "read_orc",
                        "read_gbq", "read_fwf", "get_object", "download_file", "download_fileobj",
                        "fetchall", "fetchmany", "fetchone", "fetch_pandas_all", "to_dataframe"})
EXPORT_CALLS = frozenset({"to_sql", "to_csv", "to_parquet", "to_json", "to_excel", "to_feather",
                          "to_gbq", "export", "put_object", "upload_file", "upload_fileobj",
                          "insert_many", "insert_one", "bulk_write", "saveAsTable", "insertInto",
                          "write_pandas", "insert_rows_json", "load_table_from_dataframe"})
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
REMOTE_URL_PREFIXES = ("http://", "https://", "s3://", "s3a://", "gs://", "gcs://", "abfs://", "az://", "ftp://")
NOT_DATA_LOADERS = frozenset({"json", "yaml", "pickle", "toml", "tomllib", "dotenv", "joblib", "np",
                              "numpy", "importlib", "marshal", "dill", "cloudpickle"})
UNCHUNKED_READERS = frozenset({"read_csv", "read_json", "read_sql", "read_sql_query",
                               "read_sql_table", "read_table", "read_fwf"})
WHOLE_FILE_READS = frozenset({"read", "readlines", "read_text", "read_bytes"})
CONNECT_CALLS = frozenset({"connect", "create_engine", "with_config", "MongoClient", "Redis",
                           "StrictRedis", "create_async_engine"})
CLOSE_CALLS = frozenset({"close", "dispose", "closing"})
POOL_KWARGS = frozenset({"pool_size", "max_overflow", "pool_pre_ping", "pool_recycle", "poolclass"})
_REDUCTIONS = frozenset({"all", "any", "sum"})   # over a comparison inside an assert: a value check
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})
LOGGER_NAMES = frozenset({"logger", "log", "logging", "LOGGER", "LOG", "_logger", "_log"})
DQ_ATTRS = frozenset({"notna", "notnull", "isna", "isnull", "is_unique", "isin", "between",
                      "duplicated", "nunique", "is_monotonic_increasing", "is_monotonic_decreasing",
                      "hasnans", "drop_duplicates",
                      # schema: asserting on the columns or their types ('id' in df.columns)
                      "columns", "dtypes", "dtype"})
ENV_NAMES = frozenset({"ENV", "ENVIRONMENT", "STAGE", "MAGE_ENV", "ENV_NAME", "DEPLOY_ENV",
                       "APP_ENV", "env", "environment", "stage"})
ENV_VALUES = frozenset({"prod", "production", "staging", "stage", "dev", "development", "test",
                        "qa", "uat", "local"})
# Driver module -> kind, for connect(host='...') calls that hard-code where to connect.
DRIVER_KINDS = {"psycopg2": "postgresql", "psycopg": "postgresql", "asyncpg": "postgresql",
                "pymysql": "mysql", "mysql": "mysql", "MySQLdb": "mysql", "snowflake": "snowflake",
                "pymongo": "mongodb", "pyodbc": "odbc", "pymssql": "mssql", "redshift_connector": "redshift",
                "cx_Oracle": "oracle", "oracledb": "oracle", "clickhouse_connect": "clickhouse"}
HOST_KWARGS = frozenset({"host", "server", "account", "hostname", "dsn"})
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException"})
POOL_CLASSES = frozenset({"QueuePool", "SimpleConnectionPool", "ThreadedConnectionPool"})
# Every call name _visit_call looks at (besides all/expect_* inside an assert). Other calls
# can only tell about pooling, through their keywords: most calls of a block file take this path.
_CALLS_WITH_FACTS = (LOAD_CALLS | EXPORT_CALLS | HTTP_READ | HTTP_WRITE | UNCHUNKED_READERS | WHOLE_FILE_READS
                     | CONNECT_CALLS | CLOSE_CALLS | LOG_METHODS | POOL_CLASSES
                     | REMOTE_CALLS | CLOUD_CLIENT_CALLS
                     | {"print", "get", "getenv", "env_var", "get_secret_value", "getenvb", "load", "execute",
                        "executemany", "sql", "ConfigFileLoader", "datetime", "date", "Timestamp"})


# Fields that never hold a child node worth visiting: names and flags, and the ctx/op
# singletons (Load, Add, Eq...) no fact or metric looks at. Constant.value and
# MatchSingleton.value are Python values, not nodes.
_LEAF_FIELDS = frozenset({"id", "attr", "name", "names", "arg", "module", "level", "kind", "type_comment",
                          "conversion", "is_async", "simple", "tag", "rest", "kwd_attrs", "ctx", "op", "ops"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    """Fields of AST class ``kind`` that may hold child nodes, in ``ast.iter_child_nodes`` order.

    Walking these directly is about twice as fast as ``ast.iter_child_nodes`` (a generator
    over every field, names and operators included) and visits the same nodes in the same order
    minus the operator and context singletons.
    """
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        leaf_value = kind is ast.Constant or kind is ast.MatchSingleton
        fields = tuple(name for name in getattr(kind, "_fields", ())
                       if name not in _LEAF_FIELDS and not (leaf_value and name == "value"))
        _CHILD_FIELDS[kind] = fields
    return fields


def empty_facts() -> dict[str, Any]:
    """Every agreed key with its 'nothing found' value."""
    return {
        "loads_data": False, "exports_data": False, "hardcoded_dates": [], "hardcoded_tables": [],
        "connection_strings": [], "print_calls": [], "uses_logging": False,
        "swallowed_exceptions": [], "export_modes": [], "has_checkpointing": False,
        "unchunked_reads": [], "connections_opened": [], "closes_connections": False,
        "uses_pool": False, "assertions": 0, "dq_checks": False, "env_access": False,
        "env_branching": False, "loops": 0, "http_calls": [], "raw_connections": [], "io_profiles": [],
        "external_io": [],
    }


def code_facts(text: str, tree: ast.AST | None, language: str) -> dict[str, Any]:
    """Facts about one block file (see the module docstring and docs/architecture.md).

    ``tree`` is the parsed module for Python (None when it did not parse: then only the
    text scanners run). Lists hold ``[line, detail]`` pairs or line numbers, sorted by line.
    """
    return facts_and_complexity(text, tree, language)[0]


def facts_and_complexity(text: str, tree: ast.AST | None, language: str) -> tuple[dict[str, Any], list[int] | None]:
    """:func:`code_facts` plus radon's complexity per function from the same AST walk (None
    without a tree, or when the tree is too deep; see :meth:`_PythonFacts.run`)."""
    facts = empty_facts()
    scores = None
    if language == "python" and tree is not None:
        scores = _PythonFacts(facts, text).run(tree)
    elif language == "sql":
        sql_file_facts(text, facts)
    elif language in ("python", "r"):
        text_facts(text, facts)
    for key in ("hardcoded_dates", "hardcoded_tables", "connection_strings", "export_modes",
                "unchunked_reads", "http_calls", "raw_connections", "io_profiles", "external_io"):
        # By line, then detail: the same facts come out in the same order whatever order the
        # walk met them in.
        facts[key] = sorted(_unique(facts[key]), key=_line_and_detail)
    for key in ("print_calls", "swallowed_exceptions", "connections_opened"):
        facts[key] = sorted(set(facts[key]))
    return facts, scores


def _line_and_detail(item: list) -> tuple[int, str]:
    return item[0], str(item[1])


def _unique(items: list[list]) -> list[list]:
    seen, out = set(), []
    for item in items:
        marker = tuple(item)
        if marker not in seen:
            seen.add(marker)
            out.append(item)
    return out


# -- Python: one AST pass ---------------------------------------------------------------------

def _dotted(node: ast.AST) -> str:
    """``pd.read_csv`` for an attribute chain, ``print`` for a name, '' otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    return ".".join(reversed(parts))


def _call_name(call: ast.Call) -> tuple[str, str]:
    """(last name, receiver root name) of a call: ``pd.read_csv`` -> (read_csv, pd)."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id, ""
    if isinstance(func, ast.Attribute):
        root = func.value
        while isinstance(root, (ast.Attribute, ast.Call, ast.Subscript)):
            root = root.func if isinstance(root, ast.Call) else root.value
        return func.attr, root.id if isinstance(root, ast.Name) else ""
    return "", ""


def _callee(func: ast.expr) -> str:
    """The last name of a call's function (``open`` for ``open`` and ``gzip.open``); as
    :func:`_call_name` without the receiver."""
    kind = type(func)
    if kind is ast.Name:
        return func.id
    return func.attr if kind is ast.Attribute else ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _decorator_names(node: ast.AST) -> set[str]:
    names = set()
    for dec in getattr(node, "decorator_list", []):
        target = dec.func if isinstance(dec, ast.Call) else dec
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def _is_logging_call(call: ast.Call) -> bool:
    return _is_logging_name(*_call_name(call))


def _is_logging_name(name: str, root: str) -> bool:
    if name in LOG_METHODS and (root in LOGGER_NAMES or "log" in root.lower()):
        return True
    return name in ("warn",) and root == "warnings"


# Complexity modes of the single walk (see _PythonFacts.run).
_CX_MODULE, _CX_CLASS, _CX_FUNCTION, _CX_IGNORED = 0, 1, 2, 3
RADON_SAFE_DEPTH = 100   # radon recurses ~3 frames per AST level; deeper trees go to radon itself


def _match_decisions(node: ast.Match) -> int:
    catch_all = any(getattr(c.pattern, "pattern", False) is None for c in node.cases)
    return max(0, len(node.cases) - catch_all)


# Decision points radon counts, per node type (in module and function bodies).
_DECISIONS = {
    ast.If: lambda n: 1, ast.IfExp: lambda n: 1,
    ast.BoolOp: lambda n: len(n.values) - 1,
    ast.For: lambda n: 1 + bool(n.orelse), ast.While: lambda n: 1 + bool(n.orelse),
    ast.AsyncFor: lambda n: 1 + bool(n.orelse),
    ast.comprehension: lambda n: 1 + len(n.ifs),
    ast.Try: lambda n: len(n.handlers) + bool(n.orelse),
    ast.Match: _match_decisions,
}


class _PythonFacts:
    """Walks a module once, keeping the little context some facts need (inside a @test
    function, at module level, inside an assert)."""

    def __init__(self, facts: dict[str, Any], text: str) -> None:
        self.facts = facts
        # Text-wide prefilters: most files cannot produce these facts, so their per-node
        # checks are skipped (a third of the walk's time on a typical block file).
        lower = text.lower()
        self.may_checkpoint = mentions_any(lower, _CHECKPOINT_WORDS)
        self.may_branch_on_env = ("env" in lower or "stage" in lower) and ENV_WORD_RE.search(lower) is not None
        self.docstrings: set[int] = set()
        self.open_names: set[str] = set()
        self.reads: list[tuple[int, str, str]] = []   # (line, method, receiver) of .read()-like calls
        self.cleanup_handlers: set[int] = set()        # ids of handlers of best-effort cleanup

    def run(self, tree: ast.AST) -> list[int] | None:
        """Walk ``tree`` once for the facts and, on the same walk, radon's cyclomatic complexity.

        Returns the complexity of each function and method (as
        ``radon.visitors.ComplexityVisitor`` scores them; None when the tree is deeper than radon
        can surely walk). A second walk just for complexity cost a third of the facts' time.
        """
        handlers = {
            ast.Call: self._call, ast.ExceptHandler: self._handler, ast.Try: self._try,
            ast.With: self._with, ast.AsyncWith: self._with, ast.Assign: self._assign,
            ast.For: self._loop, ast.While: self._loop, ast.AsyncFor: self._loop, ast.comprehension: self._loop,
            ast.If: self._if, ast.IfExp: self._if, ast.Import: self._import, ast.ImportFrom: self._import,
            ast.Attribute: self._attribute, ast.Subscript: self._subscript,
        }
        if not self.may_branch_on_env:
            del handlers[ast.If], handlers[ast.IfExp]
        scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        functions = (ast.FunctionDef, ast.AsyncFunctionDef)
        # Complexity state per node: mode (module / class body / function body / not counted),
        # the counter decisions go to, and the depth radon would recurse to.
        module_cell = [1]
        scored: list[list[int]] = []
        too_deep = False
        stack: list[tuple] = [(tree, False, True, False, _CX_MODULE, module_cell, 0)]
        pop, push, get_handler, node_type = stack.pop, stack.append, handlers.get, ast.AST
        decision, fields_of = _DECISIONS.get, _CHILD_FIELDS.get
        # Names and constants are leaves (no decisions, no children): they are handled where
        # their parent meets them instead of going through the stack, about a third of all nodes.
        name_type, constant_type = ast.Name, ast.Constant
        on_name = self._name if self.may_checkpoint else None
        docstrings, facts = self.docstrings, self.facts
        # Children are pushed in ast.iter_child_nodes order (operators and contexts skipped);
        # the lists of facts are sorted by line and detail afterwards, so visiting order
        # does not show in the result.
        while stack:
            node, in_test, at_module, in_assert, mode, cell, depth = pop()
            kind = type(node)
            body_mode = body_cell = None
            if mode != _CX_IGNORED and depth > RADON_SAFE_DEPTH:
                too_deep = True
            if kind in scopes or kind is ast.Module:
                self._note_docstring(node)
                if kind is not ast.Module:
                    at_module = False
                    in_test = in_test or "test" in _decorator_names(node)
                    # radon scores functions at module level and methods of top-level classes;
                    # closures and nested classes, decorators and defaults are not counted.
                    if mode == _CX_IGNORED or mode == _CX_FUNCTION or (mode == _CX_CLASS and kind is ast.ClassDef):
                        body_mode, body_cell = _CX_IGNORED, None
                    elif kind in functions:
                        body_mode, body_cell = _CX_FUNCTION, [1]
                        scored.append(body_cell)
                    else:
                        body_mode, body_cell = _CX_CLASS, None
                    mode, cell = _CX_IGNORED, None
            elif kind is ast.Assert:
                if in_test:
                    self.facts["assertions"] += 1
                in_assert = True
                if mode == _CX_MODULE or mode == _CX_FUNCTION:
                    cell[0] += 1
                mode, cell = _CX_IGNORED, None      # assert hides its operands from radon
            elif mode == _CX_MODULE or mode == _CX_FUNCTION:
                count = decision(kind)
                if count is not None:
                    cell[0] += count(node)
            handler = get_handler(kind)
            if handler is not None:
                handler(node, at_module, in_assert)
            depth += 1
            # Leaves count towards radon's depth like any node.
            leaf_too_deep = depth > RADON_SAFE_DEPTH
            fields = fields_of(kind)
            if fields is None:
                fields = child_fields(kind)
            for name in fields:
                value = getattr(node, name, None)
                if body_mode is not None and name == "body":
                    child_mode, child_cell = body_mode, body_cell
                else:
                    child_mode, child_cell = mode, cell
                children = value if type(value) is list else (value,)
                for child in children:
                    child_kind = type(child)
                    if child_kind is name_type or child_kind is constant_type:
                        if leaf_too_deep and child_mode != _CX_IGNORED:
                            too_deep = True
                        if child_kind is constant_type:
                            if type(child.value) is str and id(child) not in docstrings:
                                scan_string(child.value, child.lineno, facts)
                        elif on_name is not None:
                            on_name(child)
                    elif isinstance(child, node_type):
                        push((child, in_test, at_module, in_assert, child_mode, child_cell, depth))
        self._finish()
        if too_deep:
            return None
        return [c[0] for c in scored] or [module_cell[0]]

    def _finish(self) -> None:
        for line, method, receiver in self.reads:
            if receiver == "open()" or receiver in self.open_names:
                self.facts["unchunked_reads"].append([line, f"{receiver}.{method}"])

    def _note_docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", None)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.docstrings.add(id(body[0].value))

    # One handler per node type; each receives (node, at_module, in_assert).

    def _handler(self, node: ast.ExceptHandler, *_: bool) -> None:
        self._visit_handler(node)

    def _with(self, node: ast.With, *_: bool) -> None:
        for item in node.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call):
                name, _root = _call_name(expr)
                if name in CONNECT_CALLS or name in ("begin", "closing", "cursor", "Session"):
                    self.facts["closes_connections"] = True
                if name == "open" and isinstance(item.optional_vars, ast.Name):
                    self.open_names.add(item.optional_vars.id)

    def _assign(self, node: ast.Assign, *_: bool) -> None:
        value = node.value
        if type(value) is ast.Call and _callee(value.func) == "open":
            self.open_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        # config_profile = 'dev' (Mage's generated loaders): the io_config profile in use
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) and any(
                isinstance(t, ast.Name) and "profile" in t.id.lower() for t in node.targets):
            self.facts["io_profiles"].append([node.lineno, node.value.value])

    def _loop(self, node: ast.AST, *_: bool) -> None:
        self.facts["loops"] += 1

    def _if(self, node: ast.If, *_: bool) -> None:
        if not self.facts["env_branching"] and _is_env_test(node.test):
            self.facts["env_branching"] = True

    def _import(self, node: ast.Import, *_: bool) -> None:
        names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
        if any(n == "logging" or n.startswith("logging.") for n in names):
            self.facts["uses_logging"] = True

    def _attribute(self, node: ast.Attribute, at_module: bool, in_assert: bool) -> None:
        facts = self.facts
        if node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os":
            facts["env_access"] = True
        elif in_assert and node.attr in DQ_ATTRS:
            facts["dq_checks"] = True
        if self.may_checkpoint and not facts["has_checkpointing"] and CHECKPOINT_RE.search(node.attr):
            facts["has_checkpointing"] = True

    def _name(self, node: ast.Name) -> None:
        if not self.facts["has_checkpointing"] and CHECKPOINT_RE.search(node.id):
            self.facts["has_checkpointing"] = True

    def _subscript(self, node: ast.Subscript, *_: bool) -> None:
        # kwargs['logger'] is Mage's block logger
        key = node.slice
        if isinstance(key, ast.Constant) and key.value == "logger":
            self.facts["uses_logging"] = True

    def _call(self, node: ast.Call, at_module: bool, in_assert: bool) -> None:
        name, root = _call_name(node)
        if name in _CALLS_WITH_FACTS or (in_assert and (name in _REDUCTIONS or name.startswith("expect_"))):
            self._visit_call(node, name, root, at_module, in_assert)
        elif node.keywords and any(k.arg in POOL_KWARGS for k in node.keywords):
            self.facts["uses_pool"] = True

    def _visit_call(self, call: ast.Call, name: str, root: str, at_module: bool, in_assert: bool) -> None:
        facts = self.facts
        line = call.lineno
        if name == "print" and not root:
            facts["print_calls"].append(line)
        if _is_logging_name(name, root) or (name == "get" and call.args and isinstance(call.args[0], ast.Constant)
                                            and call.args[0].value == "logger"):
            facts["uses_logging"] = True
        if name in ("getenv", "env_var", "get_secret_value", "getenvb") or (name == "get" and root == "environ"):
            facts["env_access"] = True
        if root in HTTP_MODULES and name in HTTP_READ | HTTP_WRITE:
            facts["http_calls"].append([line, f"{root}.{name}"])
            facts["external_io"].append([line, f"{root}.{name}"])
            facts["loads_data" if name in HTTP_READ else "exports_data"] = True
        if _reaches_another_system(call, name, root):
            facts["external_io"].append([line, _dotted(call.func)])
        if name in LOAD_CALLS or (name == "load" and root not in NOT_DATA_LOADERS and root):
            facts["loads_data"] = True
        if name in EXPORT_CALLS:
            facts["exports_data"] = True
            self._export_mode(call, name, line)
        if name in ("to_csv", "to_parquet", "to_json") and _const(_kw(call, "mode")) in ("a", "a+"):
            facts["export_modes"].append([line, "append"])
        if name in ("execute", "executemany", "sql") and call.args and isinstance(call.args[0], ast.Constant):
            sql = call.args[0].value
            if isinstance(sql, str) and SQL_START_RE.match(sql):
                facts["loads_data" if SQL_SELECT_RE.match(sql.lstrip()) else "exports_data"] = True
        if name in UNCHUNKED_READERS and _kw(call, "chunksize") is None and _kw(call, "iterator") is None:
            facts["unchunked_reads"].append([line, _dotted(call.func)])
        if name in WHOLE_FILE_READS and isinstance(call.func, ast.Attribute):
            receiver = _dotted(call.func.value)
            if receiver.endswith("open()"):
                receiver = "open()"
            self.reads.append((line, name, receiver))
        if name in CONNECT_CALLS and root not in NO_CONNECTION_IO \
                and not (name == "connect" and root in ("signal", "socket")):
            facts["connections_opened"].append(line)
            if name in ("create_engine", "create_async_engine") and at_module:
                facts["uses_pool"] = True
            if name != "with_config":   # a driver connection or engine, not a Mage io loader
                facts["raw_connections"].append([line, _dotted(call.func)])
            literal_host = any(k.arg in HOST_KWARGS and isinstance(k.value, ast.Constant)
                               and isinstance(k.value.value, str) and k.value.value for k in call.keywords)
            if literal_host:
                facts["connection_strings"].append([line, DRIVER_KINDS.get(root, "connect")])
        if name == "ConfigFileLoader":
            profile = call.args[1] if len(call.args) > 1 else _kw(call, "profile")
            if isinstance(_const(profile), str):
                facts["io_profiles"].append([line, _const(profile)])
        if name in CLOSE_CALLS:
            facts["closes_connections"] = True
        if any(k.arg in POOL_KWARGS for k in call.keywords) or name in POOL_CLASSES:
            facts["uses_pool"] = True
        if name in ("datetime", "date", "Timestamp") and call.args:
            first = call.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, int) and 1980 <= first.value <= 2100:
                values = [str(a.value) for a in call.args if isinstance(a, ast.Constant)]
                facts["hardcoded_dates"].append([line, f"{name}({', '.join(values)})"])
        if in_assert and name.startswith("expect_"):
            facts["dq_checks"] = True
        if in_assert and name in _REDUCTIONS and isinstance(call.func, ast.Attribute) \
                and isinstance(call.func.value, ast.Compare):
            facts["dq_checks"] = True   # range or value check: (df['x'] >= 0).all(), (df['x'] == 0).sum() == 0

    def _export_mode(self, call: ast.Call, name: str, line: int) -> None:
        if name == "to_sql":
            mode = _const(_kw(call, "if_exists")) or "fail"
        elif name == "export":
            if _kw(call, "unique_conflict_method") is not None or _kw(call, "unique_constraints") is not None:
                mode = "upsert"
            else:
                mode = _const(_kw(call, "if_exists")) or "default"
        else:
            return
        self.facts["export_modes"].append([line, str(mode).lower()])

    def _try(self, node: ast.Try, *_: bool) -> None:
        # Ignoring errors is deliberate in a try that only releases resources (close, remove,
        # dispose...), in a try inside a ``finally`` (best effort while another error is on
        # its way), and in a parse fallback (only parsing calls, a constant in the handler).
        # The try is visited before its handlers.
        if node.body and (all(_is_cleanup(stmt) for stmt in node.body) or _is_parse_fallback(node)):
            self.cleanup_handlers.update(id(h) for h in node.handlers)
        for stmt in node.finalbody:
            for inner in ast.walk(stmt):
                if isinstance(inner, ast.Try):
                    self.cleanup_handlers.update(id(h) for h in inner.handlers)

    def _visit_handler(self, handler: ast.ExceptHandler) -> None:
        """Record a handler that hides an error from everyone.

        Only broad handlers (bare, ``Exception``, ``BaseException``) count: a typed handler
        (``except ValueError: return None``) is a deliberate fallback. A broad handler is fine
        when it re-raises (anywhere inside it, also under a ``with``), exits, logs through a
        logger, or passes the error on (returns, stores or appends the caught exception). A
        print does not count: it reaches the block log, but the run goes on as if nothing
        failed. Best-effort cleanup (see :meth:`_try`) is left alone.
        """
        if not _is_broad(handler.type) or id(handler) in self.cleanup_handlers:
            return
        bound = handler.name
        for node in ast.walk(handler):
            if isinstance(node, ast.Raise):
                return
            if isinstance(node, ast.Call):
                name, root = _call_name(node)
                if _is_logging_call(node) or (name in ("exit", "_exit", "abort") and root in ("sys", "os")):
                    return
                if bound and name != "print" and _mentions(node, bound):
                    return          # the error is handed to some call (errors.append(e), notify(e))
            elif bound and isinstance(node, (ast.Return, ast.Assign, ast.AugAssign, ast.Yield)) \
                    and node.value is not None and _mentions(node.value, bound):
                return              # the error goes back to the caller or into state it reads
        self.facts["swallowed_exceptions"].append(handler.lineno)


CLEANUP_CALLS = frozenset({"close", "remove", "unlink", "rmtree", "rmdir", "dispose", "rollback", "disconnect",
                           "kill", "terminate", "shutdown", "cleanup", "delete", "release", "stop", "quit"})


def _is_broad(caught: ast.expr | None) -> bool:
    if caught is None:
        return True
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return any(isinstance(n, ast.Name) and n.id in BROAD_EXCEPTIONS for n in names)


def _is_cleanup(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and _call_name(stmt.value)[0] in CLEANUP_CALLS)


PARSE_CALLS = frozenset({"strptime", "to_datetime", "to_numeric", "int", "float", "Decimal", "loads", "parse",
                         "fromisoformat", "literal_eval", "date", "datetime", "Timestamp", "strip", "lower", "split"})


def _is_parse_fallback(node: ast.Try) -> bool:
    """A try whose body only parses a value and whose handlers call nothing (return or assign a
    constant): a conversion with a default, not a hidden failure."""
    calls = [n for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Call)]
    if not calls or any(_call_name(c)[0] not in PARSE_CALLS for c in calls):
        return False
    return not any(isinstance(n, ast.Call) for h in node.handlers for n in ast.walk(h))


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _reaches_another_system(call: ast.Call, name: str, root: str) -> bool:
    """A database, object store, cloud API or remote URL: what automatic retries protect."""
    if name in CONNECT_CALLS:
        return not (name == "connect" and root in ("signal", "socket", "sqlite3"))
    if name in REMOTE_CALLS:
        return True
    if name in CLOUD_CLIENT_CALLS:
        return root in ("boto3", "storage", "bigquery", "pubsub", "firestore", "bigtable", "secretmanager",
                        "BlobServiceClient", "s3fs", "gcsfs")
    if name in UNCHUNKED_READERS and call.args:
        first = _const(call.args[0])
        return isinstance(first, str) and first.lower().startswith(REMOTE_URL_PREFIXES)
    return False


def _const(node: ast.expr | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


def _is_env_test(test: ast.expr) -> bool:
    """True for conditions such as ``ENV == 'production'`` or ``os.getenv('ENV') in ('prod',)``."""
    has_value = has_env = has_compare = False
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            has_compare = True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.lower() in ENV_VALUES:
                has_value = True
            elif node.value in ENV_NAMES or node.value.upper() in ENV_NAMES:
                has_env = True
        elif isinstance(node, ast.Name) and node.id in ENV_NAMES:
            has_env = True
        elif isinstance(node, ast.Attribute) and node.attr in ENV_NAMES:
            has_env = True
    return has_value and has_env and has_compare
