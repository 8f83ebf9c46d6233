"""Facts found in literal text: hard-coded dates, connection strings, SQL tables and write modes.

Shared by :mod:`auditkit.readers.code_facts` for Python string literals, whole SQL files, and
R or unparsable Python files. Regexes (compiled once) rather than a SQL parser: Mage SQL holds
Jinja (``{{ df_1 }}``) that parsers reject, and this runs on tens of thousands of files.
Connection strings are reported by kind only, never by value.
"""
from __future__ import annotations

import re
from typing import Any

DATE_RE = re.compile(
    r"(?<![\w.])(?:19[89]\d|20\d\d)(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?"
    r"|/(?:0[1-9]|1[0-2])/(?:0[1-9]|[12]\d|3[01]))(?!\d)"
)
# scheme://<credentials or host>; placeholders ({host}, <host>, %s, ...) are not connection strings
CONN_RE = re.compile(
    r"(?i)\b(jdbc:[a-z0-9]+|postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|snowflake|redshift|"
    r"mssql|oracle|clickhouse|redis|rediss|amqp|trino|presto|bigquery|databricks|db2|cockroachdb)"
    r"(?:\+[a-z0-9_]+)?://(?![{<%$.\s/'\"])[^\s'\"]*?[a-z0-9][^\s'\"]*"
)
ODBC_RE = re.compile(r"(?i)\b(?:server|data source|host)\s*=\s*[^;{<\s][^;]*;.*\b(?:password|pwd)\s*=")
DATE_PREFIX_RE = re.compile(r"""[A-Za-z_][\w.]*["'`]?\s*(?:>=|<=|<>|!=|==|=|<|>|:|\bbetween\b|\bin\b)\s*\(?["']?$""",
                            re.I)

SQL_START_RE = re.compile(r"(?is)^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(select|with|insert|update|delete|merge|"
                          r"create|upsert|replace|copy|truncate|drop)\b")
SQL_TABLE_RE = re.compile(
    r"(?i)\b(from|join|into|update|merge\s+into|table(?:\s+if\s+(?:not\s+)?exists)?)\s+"
    r"((?:[\"`\[]?[a-z_][\w$]*[\"`\]]?\.){0,2}[\"`\[]?[a-z_][\w$]*[\"`\]]?)(\s*\()?"
)
SQL_CTE_RE = re.compile(r"(?i)(?:\bwith|,)\s*(?:recursive\s+)?([a-z_]\w*)\s+as\s*\(")
# FROM inside these functions is not a table reference.
SQL_FROM_FUNCTION_RE = re.compile(r"(?is)\b(extract|trim|substring|overlay|position)\s*\([^()]*\)")
SQL_JINJA_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
SQL_COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
SQL_SELECT_RE = re.compile(r"(?i)\bselect\b")
SQL_EXPORT_RE = re.compile(r"(?i)\b(insert\s+(?:into|overwrite)|merge\s+into|create\s+(?:or\s+replace\s+)?"
                           r"(?:temp(?:orary)?\s+)?table\b[^;]*?\bas\b|update\s+[\w.\"`]+\s+set\b|copy\s+into)")
SQL_MODE_PATTERNS = [
    (re.compile(r"(?i)\bon\s+conflict\b|\bon\s+duplicate\s+key\s+update\b|\bupsert\b"), "upsert"),
    (re.compile(r"(?i)\bmerge\s+into\b"), "merge"),
    # Dropping or replacing the whole table before inserting rebuilds it: a rerun does not duplicate.
    (re.compile(r"(?i)\binsert\s+overwrite\b|\bcreate\s+or\s+replace\s+table\b|\bdrop\s+table\b"), "replace"),
    (re.compile(r"(?i)\binsert\s+into\b"), "insert"),
    (re.compile(r"(?i)\bdelete\s+from\b|\btruncate\b"), "delete"),
]
SQL_PARAM_RE = re.compile(r"^(?:%|:|\?|\$|@|\{)")
# English words that follow "from"/"into" in prose and log messages, never table names.
NOT_TABLES = frozenset("""a an the this that these those source sources table tables data each
every it its all our your their which where what select dual unnest lateral values
generate_series json_table table_name set using""".split())
def _line_at(value: str, start_line: int, pos: int) -> int:
    return start_line + value.count("\n", 0, pos)


def _snippet(value: str, match: re.Match) -> str:
    """The date with the comparison right before it (``month='2024-01'``,
    ``touched_at >= '2024-01-01'``). Only an identifier and an operator are kept from the
    surrounding text, so a credential next to the date can never reach the snippet."""
    before = value[max(0, match.start() - 48):match.start()]
    prefix = DATE_PREFIX_RE.search(before)
    quote = value[match.end():match.end() + 1]
    text = (prefix.group(0).lstrip() if prefix else "") + match.group(0)
    return text + quote if quote in ("'", '"') and text[:-len(match.group(0))].endswith(quote) else text


def scan_string(value: str, line: int, facts: dict[str, Any], *, as_sql: bool | None = None) -> None:
    """Add the date, connection-string, table and SQL-mode facts found in one string literal."""
    if not value:
        return
    # Substring tests each pattern cannot match without (a year starts 19 or 20; a URL has
    # "://"; an ODBC string has "="): most literals are short names and skip all three scans.
    if "19" in value or "20" in value:
        for m in DATE_RE.finditer(value):
            facts["hardcoded_dates"].append([_line_at(value, line, m.start()), _snippet(value, m)])
    if "://" in value:
        for m in CONN_RE.finditer(value):
            facts["connection_strings"].append([_line_at(value, line, m.start()), _conn_kind(m.group(1))])
    if "=" in value and ODBC_RE.search(value):
        facts["connection_strings"].append([line, "odbc"])
    if as_sql is None:
        as_sql = bool(SQL_START_RE.match(value))
    if as_sql:
        scan_sql(value, line, facts)


def _conn_kind(scheme: str) -> str:
    scheme = scheme.lower()
    if scheme.startswith("jdbc:"):
        return "jdbc"
    return {"postgres": "postgresql", "mongodb+srv": "mongodb", "rediss": "redis",
            "mariadb": "mysql"}.get(scheme, scheme)


def _blank(m: re.Match) -> str:
    # Keep newlines so positions still map to lines; Jinja becomes a parameter marker.
    text = m.group(0)
    filler = "{" if text.startswith("{") else " "
    return "".join(c if c == "\n" else filler for c in text)


def scan_sql(sql: str, line: int, facts: dict[str, Any]) -> None:
    """Tables named literally and write modes of one SQL text starting at ``line``."""
    clean = SQL_COMMENT_RE.sub(_blank, sql)
    clean = SQL_JINJA_RE.sub(_blank, clean)
    clean = SQL_FROM_FUNCTION_RE.sub(_blank, clean)
    ctes = {name.lower() for name in SQL_CTE_RE.findall(clean)}
    for m in SQL_TABLE_RE.finditer(clean):
        name, is_call = m.group(2), m.group(3)
        bare = name.strip('"`[]').lower()
        # FROM unnest(...) is a table function; INTO t (cols) and TABLE t (...) are tables.
        from_or_join = m.group(1).lower() in ("from", "join")
        if (is_call and from_or_join) or bare in ctes or bare in NOT_TABLES or SQL_PARAM_RE.match(name):
            continue
        facts["hardcoded_tables"].append([_line_at(clean, line, m.start(2)), name])
    for pattern, mode in SQL_MODE_PATTERNS:
        for m in pattern.finditer(clean):
            facts["export_modes"].append([_line_at(clean, line, m.start()), mode])
    if SQL_SELECT_RE.search(clean):
        facts["loads_data"] = True
    if SQL_EXPORT_RE.search(clean):
        facts["exports_data"] = True


def sql_file_facts(text: str, facts: dict[str, Any]) -> None:
    # Dates inside Jinja ({{ execution_date }}) are computed, not hard-coded; comments are prose.
    stripped = SQL_JINJA_RE.sub(_blank, SQL_COMMENT_RE.sub(_blank, text))
    for m in DATE_RE.finditer(stripped):
        facts["hardcoded_dates"].append([_line_at(stripped, 1, m.start()), _snippet(stripped, m)])
    for m in CONN_RE.finditer(stripped):
        facts["connection_strings"].append([_line_at(stripped, 1, m.start()), _conn_kind(m.group(1))])
    scan_sql(text, 1, facts)


def text_facts(text: str, facts: dict[str, Any]) -> None:
    """Regex-only facts for R files and Python files that did not parse."""
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        if not code.strip():
            continue
        scan_string(code, number, facts, as_sql=False)
        if re.search(r"\b(print|cat)\s*\(", code):
            facts["print_calls"].append(number)
        if re.search(r"\b(logger|logging|log_info|futile\.logger)\b", code):
            facts["uses_logging"] = True
        if re.search(r"\b(read\.csv|read_csv|dbGetQuery|read_sql|read_parquet|GET)\s*\(", code):
            facts["loads_data"] = True
        if re.search(r"\b(write\.csv|dbWriteTable|to_sql|to_csv|to_parquet|\.export)\s*\(", code):
            facts["exports_data"] = True
        if re.search(r"\b(Sys\.getenv|os\.getenv|os\.environ|env_var)\b", code):
            facts["env_access"] = True
