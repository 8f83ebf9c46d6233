"""Risky code in Python block files: injectable SQL, dynamic code, unsafe loading, shells, PII in logs.

Two sources. bandit (as a library) runs its own checks for ``eval``/``exec``, pickle loads,
``subprocess``/``os.system`` with a shell and ``yaml.load``; it only meets files whose text
mentions one of those names, because bandit costs ~10 ms a file and most block files mention
none. An ``ast`` pass of our own finds what bandit cannot tell: SQL built with f-strings,
``%``, ``.format`` or ``+`` that reaches a query call, and logging or ``print`` calls that
write email, phone or name fields unmasked.

``detail`` is built from our own wording per check, never from bandit's message or the code
text: bandit's hard-coded-password messages quote the password.

Not reported (:mod:`auditkit.readers.security.trust` decides what the module's own code fixes):
SQL whose interpolated parts are all constants, names bound to constants, loop variables over
constant lists, or deployment settings (``os.getenv``); ``eval``/``exec`` of text built only from
such values (e.g. an entry of a literal dict); ``yaml.load`` with ``SafeLoader``/``FullLoader``
(FullLoader builds no arbitrary objects since PyYAML 5.4, CVE-2020-14343; Mage ships PyYAML 6).
Findings of one kind on consecutive lines of one function are one row (``line``..``end_line``).
"""
from __future__ import annotations

import ast
import logging
import re

import pandas as pd

from auditkit.readers.security.trust import ModuleTrust
from auditkit.readers.textcues import mentions_any

CODE_RISK_COLUMNS = ["path", "line", "kind", "test_id", "detail", "project", "end_line"]

# bandit test id -> (kind, detail). Only these tests run; none quotes code in our output.
BANDIT_TESTS: dict[str, tuple[str, str]] = {
    "B102": ("dynamic_code", "exec() runs text as code"),
    "B307": ("dynamic_code", "eval() runs text as code"),
    "B301": ("unsafe_deserialization", "pickle-style load can run code from its input"),
    "B506": ("unsafe_yaml_load", "yaml.load without a safe loader can run code"),
    "B602": ("shell_command", "subprocess call with shell=True"),
    "B604": ("shell_command", "function call with shell=True"),
    "B605": ("shell_command", "process started through a shell (os.system / os.popen)"),
}
_BANDIT_WORDS = ("eval", "exec", "pickle", "dill", "shelve", "yaml", "shell", "system", "popen", "spawn")
# bandit tests whose hits are checked again against the file's AST (trusted input, safe loaders).
_RECHECKED = {"B102": "exec", "B307": "eval", "B506": "load"}
# PyYAML loaders that build no arbitrary Python objects (FullLoader: since PyYAML 5.4).
SAFE_YAML_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "FullLoader", "CFullLoader", "BaseLoader", "CBaseLoader"})

# Calls that send SQL text to a database (pandas, DB-API, SQLAlchemy, Mage io classes).
QUERY_CALLS = frozenset({
    "execute", "executemany", "executescript", "exec_driver_sql", "read_sql", "read_sql_query",
    "query", "sql", "raw_sql", "run_query", "execute_query", "load", "text", "fetch", "fetchall_sql",
})
_SQL_WORDS_RE = re.compile(r"\b(select|insert|update|delete|merge|create|drop|alter|truncate|with|from|where)\b", re.I)
_PII_NAME_RE = re.compile(
    r"(^|_)(e_?mail(_address)?|phone(_number)?|mobile|telephone|first_?name|last_?name|full_?name|"
    r"surname|customer_name|contact_name|ssn|date_of_birth|dob|street_address)($|_|s$)", re.I)
# Names that say a value was already reduced to something non-personal.
_PII_SAFE_RE = re.compile(r"hash|mask|redact|domain|count|valid|_id$|^n_|_col(umn)?s?$", re.I)
_MASK_CALL_RE = re.compile(r"hash|mask|redact|anonymi|pseudonym|obfuscat|sha\d|md5|encrypt", re.I)
# Cheap text cues: a file without them cannot produce a finding, so it is not parsed.
_SQL_CUE_RE = re.compile(r"select\s|insert\s+into|update\s+[\w.\"]+\s+set|delete\s+from|merge\s+into|"
                         r"create\s+table|drop\s+table|truncate\s")
_PII_CUE_RE = re.compile(r"e_?mail|phone|mobile|telephone|first_?name|last_?name|full_?name|surname|"
                         r"customer_name|contact_name|ssn|date_of_birth|dob|street_address")
# Words every match of the cue regexes above contains (a quick test before the regex).
_SQL_WORDS = ("select", "insert", "update", "delete", "merge", "create", "drop", "truncate")
_PII_WORDS = ("mail", "phone", "mobile", "first", "last", "full", "surname", "customer_name", "contact_name",
              "ssn", "date_of_birth", "dob", "street_address")
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"})


def bandit_candidate(text: str) -> bool:
    """Whether ``text`` names anything the selected bandit tests look at."""
    return mentions_any(text, _BANDIT_WORDS)


def bandit_risks(files: list[tuple[str, str, str | None]]) -> list[dict]:
    """Run the selected bandit tests on ``(rel, abs_path, text)`` files; rows per issue.

    ``text`` None marks a file the caller already found to be a :func:`bandit_candidate`.
    """
    candidates = [f for f in files if f[2] is None or bandit_candidate(f[2])]
    if not candidates:
        return []
    from bandit.core import config as b_config
    from bandit.core import manager as b_manager

    logger = logging.getLogger("bandit")
    level = logger.level
    logger.setLevel(logging.CRITICAL)   # its per-file notes are noise in a report run
    try:
        manager = b_manager.BanditManager(
            b_config.BanditConfig(), "file", quiet=True,
            profile={"include": set(BANDIT_TESTS), "exclude": set()})
        by_abs = {abs_path: rel for rel, abs_path, _ in candidates}
        manager.files_list = sorted(by_abs)
        manager.run_tests()
        issues = manager.get_issue_list()
    finally:
        logger.setLevel(level)
    rows = []
    for issue in issues:
        if issue.test_id not in BANDIT_TESTS:
            continue
        kind, detail = BANDIT_TESTS[issue.test_id]
        rows.append({"path": by_abs.get(issue.fname, issue.fname), "line": int(issue.lineno),
                     "kind": kind, "test_id": issue.test_id, "detail": detail, "project": None,
                     "_abs": issue.fname})
    return _recheck_bandit_rows(rows)


def _recheck_bandit_rows(rows: list[dict]) -> list[dict]:
    """Drop eval/exec hits whose input the module itself fixes and yaml.load hits with a safe
    loader; tag each row with its function (for grouping). Files are parsed once, only when hit."""
    trees: dict[str, tuple[ast.AST, ModuleTrust] | None] = {}
    kept = []
    for row in rows:
        source = row.pop("_abs")
        if source not in trees:
            trees[source] = _parse_file(source)
        parsed = trees[source]
        if parsed is None:
            kept.append(row)
            continue
        tree, trust = parsed
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno == row["line"]]
        checked = [c for c in calls if _call_name(c) == _RECHECKED.get(row["test_id"])]
        if checked and all(_harmless(call, row["test_id"], trust) for call in checked):
            continue
        if calls:
            row["scope"] = _scope_name(trust.function_of(calls[0]))
        kept.append(row)
    return kept


def _parse_file(path: str) -> tuple[ast.AST, ModuleTrust] | None:
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
        return tree, ModuleTrust(tree)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _harmless(call: ast.Call, test_id: str, trust: ModuleTrust) -> bool:
    """An eval/exec of trusted text, or a yaml.load with a loader that builds no objects."""
    if test_id == "B506":
        loaders = [k.value for k in call.keywords if k.arg == "Loader"] + list(call.args[1:2])
        return bool(loaders) and all(_dotted_tail(loader) in SAFE_YAML_LOADERS for loader in loaders)
    return bool(call.args) and trust.trusted(call.args[0])


def _dotted_tail(node: ast.AST) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def _scope_name(scope: ast.AST) -> str:
    return getattr(scope, "name", "")


def ast_risks(rel: str, text: str, tree: ast.AST | None = None) -> list[dict]:
    """Injectable SQL and unmasked personal data in logs, found by walking the AST once.

    ``tree`` is ``text`` already parsed (None: parsed here, only when the text has a cue).
    """
    lower = text.lower()   # case-insensitive alternations are slow in ``re``; lower once instead
    wants_sql = mentions_any(lower, _SQL_WORDS) and bool(_SQL_CUE_RE.search(lower))
    wants_pii = (("print" in text or "log" in text) and mentions_any(lower, _PII_WORDS)
                 and bool(_PII_CUE_RE.search(lower)))
    if not (wants_sql or wants_pii):
        return []   # most block files: no need to parse at all
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []   # the repo reader already reports unparsable block files
    assignments, calls = _collect(tree)
    trust: list[ModuleTrust] = []    # built on the first SQL hit only

    def trusted(node: ast.AST) -> bool:
        if not trust:
            trust.append(ModuleTrust(tree))
        return trust[0].trusted(node)

    rows: list[dict] = []
    for scope, scope_calls in calls.items():
        built = _dynamic_sql_names(assignments.get(scope, [])) if wants_sql else {}
        for call in scope_calls:
            found = []
            if wants_sql:
                found += _check_query_call(rel, call, built, trusted)
            if wants_pii:
                found += _check_log_call(rel, call)
            for row in found:
                row["scope"] = _scope_name(scope)
            rows += found
    return rows


def _collect(tree: ast.AST) -> tuple[dict[ast.AST, list[ast.AST]], dict[ast.AST, list[ast.Call]]]:
    """Assignments and calls grouped by enclosing function (or the module), in one iterative walk."""
    assignments: dict[ast.AST, list[ast.AST]] = {}
    calls: dict[ast.AST, list[ast.Call]] = {}
    stack: list[tuple[ast.AST, ast.AST]] = [(tree, tree)]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            assignments.setdefault(scope, []).append(node)
        elif isinstance(node, ast.Call):
            calls.setdefault(scope, []).append(node)
        inner = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else scope
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))
    return assignments, calls


def _dynamic_string(node: ast.AST) -> str | None:
    """How ``node`` builds a string from run-time values, or None when it does not."""
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return "f-string"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and _has_text(node.left):
        return "% formatting"
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and _has_text(node.func.value)):
        return ".format()"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _has_text(node) and not _all_constant(node):
        return "concatenation"
    return None


def _has_text(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and isinstance(n.value, str) for n in ast.walk(node)) or \
        isinstance(node, ast.JoinedStr)


def _all_constant(node: ast.AST) -> bool:
    if isinstance(node, ast.BinOp):
        return _all_constant(node.left) and _all_constant(node.right)
    return isinstance(node, ast.Constant)


def _looks_like_sql(node: ast.AST) -> bool:
    parts = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return bool(_SQL_WORDS_RE.search(" ".join(parts)))


def _dynamic_sql_names(assignments: list[ast.AST]) -> dict[str, str]:
    """Variables of a scope assigned SQL text built from run-time values (name -> how)."""
    names: dict[str, str] = {}
    for node in sorted(assignments, key=lambda n: (n.lineno, n.col_offset)):
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            if isinstance(node.target, ast.Name) and not _all_constant(node.value):
                if node.target.id in names or _looks_like_sql(node.value):
                    names[node.target.id] = "concatenation"
            continue
        how = _dynamic_string(value) if value is not None else None
        if how and _looks_like_sql(value):
            for target in targets:
                if isinstance(target, ast.Name):
                    names[target.id] = how
    return names


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _check_query_call(rel: str, call: ast.Call, built: dict[str, str], trusted) -> list[dict]:
    name = _call_name(call)
    if name not in QUERY_CALLS:
        return []
    args = list(call.args[:1]) + [k.value for k in call.keywords if k.arg in ("sql", "query", "statement")]
    for arg in args:
        how = None
        if isinstance(arg, ast.Name) and arg.id in built:
            how = built[arg.id]
        elif _dynamic_string(arg) and _looks_like_sql(arg):
            how = _dynamic_string(arg)
        if how and not trusted(arg):   # only constants and deployment settings: nothing to inject
            return [{"path": rel, "line": call.lineno, "kind": "sql_injection", "test_id": "AK-SQL",
                     "detail": f"SQL built with {how} passed to {name}(); use bound parameters",
                     "project": None}]
    return []


def _is_log_call(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "print"
    if isinstance(func, ast.Attribute) and func.attr in _LOG_METHODS:
        owner = func.value
        label = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if isinstance(owner, ast.Call):   # kwargs.get('logger').info(...)
            label = "logger"
        return "log" in str(label).lower()
    return False


def _is_pii_name(name: str) -> bool:
    return bool(_PII_NAME_RE.search(name)) and not _PII_SAFE_RE.search(name)


def _pii_fields(node: ast.AST) -> set[str]:
    """Personal-data field names used in ``node`` outside a masking call."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call) and _MASK_CALL_RE.search(_call_name(current) or ""):
            continue   # hash(email), mask_email(...) are the remedy, not the problem
        if isinstance(current, ast.Name) and _is_pii_name(current.id):
            found.add(current.id)
        elif isinstance(current, ast.Attribute) and _is_pii_name(current.attr):
            found.add(current.attr)
        elif (isinstance(current, ast.Subscript) and isinstance(current.slice, ast.Constant)
              and isinstance(current.slice.value, str) and _is_pii_name(current.slice.value)):
            found.add(current.slice.value)
        stack.extend(ast.iter_child_nodes(current))
    return found


def _check_log_call(rel: str, call: ast.Call) -> list[dict]:
    if not _is_log_call(call):
        return []
    fields: set[str] = set()
    for arg in list(call.args) + [k.value for k in call.keywords]:
        fields |= _pii_fields(arg)
    if not fields:
        return []
    return [{"path": rel, "line": call.lineno, "kind": "pii_in_logs", "test_id": "AK-PII",
             "detail": f"personal data ({', '.join(sorted(fields))}) written to a log unmasked",
             "project": None}]


def yaml_tag_risks(rel: str, text: str) -> list[dict]:
    """``!!python/`` tags: Mage loads pipeline and project YAML with PyYAML's unsafe loader."""
    match = re.search(r"!!python/|tag:yaml\.org,2002:python/", text)
    if not match:
        return []
    line = text.count("\n", 0, match.start()) + 1
    return [{"path": rel, "line": line, "kind": "yaml_python_tag", "test_id": "AK-YAML",
             "detail": "YAML holds a !!python/ tag, which Mage's loader would construct (runs code)",
             "project": None}]


def code_risks_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as a frame, one row per (path, kind, function) run of consecutive lines."""
    frame = pd.DataFrame(_group_consecutive(rows), columns=CODE_RISK_COLUMNS)
    if frame.empty:
        return frame
    frame = frame.drop_duplicates(["path", "line", "kind"]).sort_values(["path", "line"], kind="stable")
    frame["line"] = frame["line"].astype("Int64")
    frame["end_line"] = frame["end_line"].astype("Int64")
    return frame.reset_index(drop=True)


def _group_consecutive(rows: list[dict]) -> list[dict]:
    """Merge findings of one kind on consecutive lines of one function (the same mistake
    repeated line after line is one finding); the merged row spans ``line``..``end_line``."""
    unique = {(r["path"], r["line"], r["kind"]): r for r in rows}
    ordered = sorted(unique.values(), key=lambda r: (r["path"], r["kind"], r.get("scope") or "", r["line"]))
    merged: list[dict] = []
    for row in ordered:
        last = merged[-1] if merged else None
        if (last is not None and (last["path"], last["kind"], last.get("scope") or "") ==
                (row["path"], row["kind"], row.get("scope") or "") and row["line"] - last["end_line"] <= 1):
            last["end_line"] = row["line"]
            continue
        merged.append({**row, "end_line": row["line"]})
    for row in merged:
        if row["end_line"] != row["line"]:
            row["detail"] = f"{row['detail']} (lines {row['line']}-{row['end_line']})"
    return merged
