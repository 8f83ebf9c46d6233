"""Mage's run-history schema (0.9.77-0.9.80, alembic head ``39d36f1dab73``) as data.

One table description serves three uses: the reader checks which tables and columns an
audited DB lacks, the demo generator creates the SQLite DDL, and the PostgreSQL tests create
Mage's Postgres DDL (native enum types, quoted ``"user"``, ``json``, ``timestamptz``).
Column order follows the models; Mage's real order differs where migrations appended columns,
which no reader depends on.
"""
from __future__ import annotations

ALEMBIC_HEAD = "39d36f1dab73"

# Enum type name (as created by Mage's migrations on Postgres) -> member NAMES, as stored.
ENUMS: dict[str, tuple[str, ...]] = {
    "scheduletype": ("TIME", "API", "EVENT"),
    "schedulestatus": ("ACTIVE", "INACTIVE"),
    "pipelinerunstatus": ("INITIAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"),
    "blockrunstatus": ("INITIAL", "QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED",
                       "UPSTREAM_FAILED", "CONDITION_FAILED"),
    "status": ("INITIAL", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"),
    "intervaltype": ("SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "YEAR", "CUSTOM"),
    "eventtype": ("AWS_EVENT",),
    "executortype": ("AZURE_CONTAINER_INSTANCE", "ECS", "GCP_CLOUD_RUN", "K8S", "LOCAL_PYTHON",
                     "LOCAL_PYTHON_FORCE", "PYSPARK"),
    "entity": ("GLOBAL", "PROJECT", "PIPELINE"),
    "authorizationgranttype": ("AUTHORIZATION_CODE", "CLIENT_CREDENTIALS"),
    "clienttype": ("PRIVATE", "PUBLIC"),
    "jobtype": ("CANCEL_PIPELINE_RUN",),
    "jobstatus": ("INITIAL", "QUEUED", "RUNNING", "COMPLETED", "FAILED"),
}

# Column kinds: id, int, str, text, bool, ts, json, blob, or "enum:<type name>".
_BASE = [("id", "id"), ("created_at", "ts_default"), ("updated_at", "ts_default")]

TABLES: dict[str, list[tuple[str, str]]] = {
    "pipeline_schedule": _BASE + [
        ("name", "str"), ("description", "text"), ("pipeline_uuid", "str"),
        ("schedule_type", "enum:scheduletype"), ("start_time", "ts"), ("schedule_interval", "str50"),
        ("status", "enum:schedulestatus"), ("last_enabled_at", "ts"), ("variables", "json"),
        ("sla", "int"), ("token", "str"), ("repo_path", "str"), ("settings", "json"),
        ("global_data_product_uuid", "str"),
    ],
    "backfill": _BASE + [
        ("block_uuid", "str"), ("completed_at", "ts"), ("end_datetime", "ts"), ("failed_at", "ts"),
        ("interval_type", "enum:intervaltype"), ("interval_units", "int"), ("metrics", "json"),
        ("name", "str"), ("pipeline_schedule_id", "fk:pipeline_schedule"), ("pipeline_uuid", "str"),
        ("settings", "json"), ("start_datetime", "ts"), ("started_at", "ts"),
        ("status", "enum:status"), ("variables", "json"),
    ],
    "pipeline_run": _BASE + [
        ("pipeline_schedule_id", "fk:pipeline_schedule"), ("pipeline_uuid", "str"),
        ("execution_date", "ts"), ("status", "enum:pipelinerunstatus"), ("completed_at", "ts"),
        ("variables", "json"), ("passed_sla", "bool"), ("event_variables", "json"),
        ("metrics", "json"), ("backfill_id", "fk:backfill"), ("executor_type", "enum:executortype"),
        ("started_at", "ts"),
    ],
    "block_run": _BASE + [
        ("pipeline_run_id", "fk:pipeline_run"), ("block_uuid", "str"),
        ("status", "enum:blockrunstatus"), ("completed_at", "ts"), ("started_at", "ts"),
        ("metrics", "json"),
    ],
    "event_matcher": _BASE + [("event_type", "enum:eventtype"), ("name", "str"), ("pattern", "json")],
    "pipeline_schedule_event_matcher_association": [
        ("pipeline_schedule_id", "fk:pipeline_schedule"), ("event_matcher_id", "fk:event_matcher"),
    ],
    "generic_job": _BASE + [
        ("job_type", "enum:jobtype"), ("status", "enum:jobstatus"), ("payload", "json"),
        ("extra_metadata", "json"), ("started_at", "ts"), ("completed_at", "ts"), ("repo_path", "str"),
    ],
    "user": _BASE + [
        ("avatar", "str"), ("email", "str"), ("first_name", "str"), ("last_name", "str"),
        ("owner", "bool"), ("password_hash", "str"), ("password_salt", "blob"), ("roles", "int"),
        ("username", "str"), ("preferences", "json"),
    ],
    "role": _BASE + [("name", "str"), ("user_id", "fk:user")],
    "permission": _BASE + [
        ("entity_id", "str"), ("entity", "enum:entity"), ("access", "int"), ("role_id", "fk:role"),
        ("user_id", "fk:user"), ("entity_name", "str"), ("entity_type", "str"), ("options", "json"),
    ],
    "user_role": _BASE + [("user_id", "fk:user"), ("role_id", "fk:role")],
    "role_permission": _BASE + [
        ("permission_id", "fk:permission"), ("role_id", "fk:role"), ("user_id", "fk:user"),
    ],
    "oauth2_application": _BASE + [
        ("authorization_grant_type", "enum:authorizationgranttype"), ("client_id", "str"),
        ("client_type", "enum:clienttype"), ("name", "str"), ("redirect_uris", "str"),
        ("user_id", "fk:user"),
    ],
    "oauth2_access_token": _BASE + [
        ("expires", "ts"), ("oauth2_application_id", "fk:oauth2_application"), ("token", "text"),
        ("user_id", "fk:user"), ("refresh_token", "text"),
    ],
    "secret": _BASE + [("name", "str"), ("value", "text"), ("repo_name", "str"), ("key_uuid", "str")],
    "tag": _BASE + [("name", "str"), ("description", "text")],
    "tag_association": _BASE + [
        ("tag_id", "fk:tag"), ("taggable_id", "int"), ("taggable_type", "str"),
    ],
    "user_project": _BASE + [
        ("user_id", "fk:user"), ("root_project_uuid", "str"), ("project_name", "str"),
        ("active", "bool"),
    ],
    "alembic_version": [("version_num", "pk_str")],
}

# The tables the history analytics read; a DB without them is reported, not fatal.
HISTORY_TABLES = ("pipeline_schedule", "pipeline_run", "block_run", "backfill")

INDEXES = [
    ("pipeline_schedule", "pipeline_uuid"), ("pipeline_schedule", "token"),
    ("pipeline_schedule", "global_data_product_uuid"),
    ("pipeline_run", "pipeline_schedule_id"), ("pipeline_run", "pipeline_uuid"),
    ("pipeline_run", "execution_date"), ("pipeline_run", "status"), ("pipeline_run", "backfill_id"),
    ("block_run", "pipeline_run_id"), ("generic_job", "job_type"), ("generic_job", "status"),
]


def _enum_len(type_name: str) -> int:
    return max(len(v) for v in ENUMS[type_name])


def _sqlite_type(kind: str) -> str:
    if kind.startswith("enum:"):
        # Mage/SQLAlchemy use VARCHAR(longest name) with no CHECK constraint on SQLite.
        return f"VARCHAR({_enum_len(kind[5:])})"
    if kind.startswith("fk:"):
        return f"INTEGER REFERENCES {quote(kind[3:])} (id)"
    return {
        "id": "INTEGER NOT NULL PRIMARY KEY", "ts_default": "DATETIME DEFAULT (CURRENT_TIMESTAMP)",
        "ts": "DATETIME", "str": "VARCHAR(255)", "str50": "VARCHAR(50)", "text": "TEXT",
        "int": "INTEGER", "bool": "BOOLEAN", "json": "JSON", "blob": "BLOB",
        "pk_str": "VARCHAR(32) NOT NULL PRIMARY KEY",
    }[kind]


def _postgres_type(kind: str) -> str:
    if kind.startswith("enum:"):
        return quote(kind[5:])
    if kind.startswith("fk:"):
        return f"INTEGER REFERENCES {quote(kind[3:])} (id)"
    return {
        "id": "SERIAL PRIMARY KEY", "ts_default": "TIMESTAMP WITH TIME ZONE DEFAULT now()",
        "ts": "TIMESTAMP WITH TIME ZONE", "str": "VARCHAR(255)", "str50": "VARCHAR(50)",
        "text": "TEXT", "int": "INTEGER", "bool": "BOOLEAN", "json": "JSON", "blob": "BYTEA",
        "pk_str": "VARCHAR(32) NOT NULL PRIMARY KEY",
    }[kind]


def quote(name: str) -> str:
    """Quote an identifier (``user`` is reserved on Postgres)."""
    return f'"{name}"'


def column_kinds(table: str) -> dict[str, str]:
    """Column name -> kind for one table."""
    return dict(TABLES[table])


def ddl(dialect: str) -> list[str]:
    """CREATE statements for the whole schema on ``sqlite`` or ``postgresql``."""
    statements: list[str] = []
    if dialect == "postgresql":
        for type_name, members in ENUMS.items():
            values = ", ".join(f"'{m}'" for m in members)
            statements.append(f"CREATE TYPE {quote(type_name)} AS ENUM ({values})")
    to_type = _sqlite_type if dialect == "sqlite" else _postgres_type
    for table, columns in TABLES.items():
        body = ",\n  ".join(f"{quote(name)} {to_type(kind)}" for name, kind in columns)
        statements.append(f"CREATE TABLE {quote(table)} (\n  {body}\n)")
    for table, column in INDEXES:
        statements.append(f"CREATE INDEX {quote('ix_' + table + '_' + column)} "
                          f"ON {quote(table)} ({quote(column)})")
    statements.append('CREATE UNIQUE INDEX "ix_user_email" ON "user" ("email")')
    return statements
