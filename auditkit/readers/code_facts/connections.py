"""Connection facts: database sessions opened and closed, pooling, driver connections, hard-coded
hosts and io_config profiles (``connections_opened``, ``closes_connections``, ``uses_pool``,
``raw_connections``, ``connection_strings`` from connect calls, ``io_profiles``).

Connection strings inside string literals are found by :mod:`auditkit.readers.literal_facts`;
here only ``connect(host='...')``-style calls count, reported by kind, never by value.
"""
from __future__ import annotations

import ast

from auditkit.readers.code_facts.family import Family, FileState, Where
from auditkit.readers.code_facts.nodes import call_name, const, dotted, kw

CONNECTIONS = Family("connections")

CONNECT_CALLS = frozenset({"connect", "create_engine", "with_config", "MongoClient", "Redis",
                           "StrictRedis", "create_async_engine"})
# Roots of connect-like calls that hold no database session to leak, or that offer no way to
# close one: Mage io classes over object stores and HTTP APIs (BigQuery's client is an HTTP
# client), Mage io classes with neither close() nor a context manager (MongoDB, ClickHouse and
# Spark derive from BaseIO/BaseSQLDatabase, not BaseSQLConnection, in mage_ai/io), HTTP and
# websocket clients, and in-process DuckDB.
NO_CONNECTION_IO = frozenset({"S3", "GoogleCloudStorage", "AzureBlobStorage", "FileIO", "GoogleSheets",
                              "B2", "R2", "BigQuery", "Airtable", "Algolia", "Chroma", "Qdrant", "Weaviate",
                              "MongoDB", "ClickHouse", "Spark",
                              "requests", "httpx", "aiohttp", "websockets", "websocket", "socketio",
                              "duckdb"})
CLOSE_CALLS = frozenset({"close", "dispose", "closing"})
# Context managers that close what they opened.
CLOSING_CONTEXTS = CONNECT_CALLS | {"begin", "closing", "cursor", "Session"}
POOL_KWARGS = frozenset({"pool_size", "max_overflow", "pool_pre_ping", "pool_recycle", "poolclass"})
POOL_CLASSES = frozenset({"QueuePool", "SimpleConnectionPool", "ThreadedConnectionPool"})
# Driver module -> kind, for connect(host='...') calls that hard-code where to connect.
DRIVER_KINDS = {"psycopg2": "postgresql", "psycopg": "postgresql", "asyncpg": "postgresql",
                "pymysql": "mysql", "mysql": "mysql", "MySQLdb": "mysql", "snowflake": "snowflake",
                "pymongo": "mongodb", "pyodbc": "odbc", "pymssql": "mssql", "redshift_connector": "redshift",
                "cx_Oracle": "oracle", "oracledb": "oracle", "clickhouse_connect": "clickhouse"}
HOST_KWARGS = frozenset({"host", "server", "account", "hostname", "dsn"})


@CONNECTIONS.on_call(CONNECT_CALLS)
def _connect(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    if root in NO_CONNECTION_IO or (name == "connect" and root in ("signal", "socket")):
        return
    facts, line = state.facts, call.lineno
    facts["connections_opened"].append(line)
    if name in ("create_engine", "create_async_engine") and where.at_module:
        facts["uses_pool"] = True   # one engine for the module: its pool is reused
    if name != "with_config":   # a driver connection or engine, not a Mage io loader
        facts["raw_connections"].append([line, dotted(call.func)])
    if any(k.arg in HOST_KWARGS and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
           and k.value.value for k in call.keywords):
        facts["connection_strings"].append([line, DRIVER_KINDS.get(root, "connect")])


@CONNECTIONS.on_call("ConfigFileLoader")
def _config_profile(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    profile = const(call.args[1] if len(call.args) > 1 else kw(call, "profile"))
    if isinstance(profile, str):
        state.facts["io_profiles"].append([call.lineno, profile])


@CONNECTIONS.on_node(ast.Assign)
def _profile_assignment(state: FileState, node: ast.Assign, where: Where) -> None:
    # config_profile = 'dev' (Mage's generated loaders): the io_config profile in use
    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str) and any(
            isinstance(t, ast.Name) and "profile" in t.id.lower() for t in node.targets):
        state.facts["io_profiles"].append([node.lineno, node.value.value])


@CONNECTIONS.on_call(CLOSE_CALLS)
def _close(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    state.facts["closes_connections"] = True


@CONNECTIONS.on_node(ast.With, ast.AsyncWith)
def _with_connection(state: FileState, node: ast.With, where: Where) -> None:
    for item in node.items:
        if isinstance(item.context_expr, ast.Call) and call_name(item.context_expr)[0] in CLOSING_CONTEXTS:
            state.facts["closes_connections"] = True


@CONNECTIONS.on_call(POOL_CLASSES)
def _pool_class(state: FileState, call: ast.Call, name: str, root: str, where: Where) -> None:
    state.facts["uses_pool"] = True


@CONNECTIONS.on_keyword(POOL_KWARGS)
def _pool_keyword(state: FileState, call: ast.Call, keyword: ast.keyword, where: Where) -> None:
    state.facts["uses_pool"] = True
