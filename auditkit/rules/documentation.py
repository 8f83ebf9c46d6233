"""Rules of category ``documentation``: block docstrings and pipeline descriptions."""
from __future__ import annotations

from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import file_place, frame_of, logic_files, number, rows


@register
class MissingDocstring(Rule):
    """A sizeable Python block has no docstring.

    What it checks:
        Python loader, transformer, exporter and custom block files that pipelines run, with at
        least ``min_lines`` lines of code and a function of cyclomatic complexity at least
        ``min_complexity``, whose module and decorated block function carry no docstring.
        Short blocks, and blocks whose code runs straight through (a fetch followed by a
        column map, a list of dtypes), are left alone: their code is their documentation.

    Why it matters:
        A docstring is where a block states its inputs, outputs and failure modes: the data
        contract the next block relies on. Without it reviewers and on-call engineers must read
        the code.

    Example:
        ``@transformer def transform(df, *args, **kwargs): ...`` with no docstring.

    Fix:
        Add a docstring saying what the block does, the columns it expects and returns, and
        the errors it raises.

    Options:
        ``min_lines``: blocks with at least this many code lines need a docstring.
        ``min_complexity``: and at least one function this complex (branches and loops).
    """

    id = "MAGE-DOC-001"
    name = "missing-docstring"
    title = "Python block without a docstring"
    category = "documentation"
    severity = "low"
    thresholds = (Threshold("min_lines", 40, "smallest block (code lines) that needs a docstring", "integer >= 0"),
                  Threshold("min_complexity", 3, "least cyclomatic complexity of the block's most complex "
                            "function for a docstring to be needed", "integer >= 1"),)
    practices = ("BP-DOC-BLOCKS",)

    def check(self):
        minimum, branching = self.option("min_lines"), self.option("min_complexity")
        for row in logic_files(self.ctx.inventory):
            if row.get("language") != "python":
                continue   # SQL and R blocks have no docstring convention in Mage
            lines = number(row.get("lines_code"))
            complexity = number(row.get("complexity_max"))
            if complexity is not None and complexity < branching:
                continue   # straight-line code reads top to bottom
            if row.get("has_docstring") is False and lines is not None and lines >= minimum:
                yield self.finding(
                    f"{row['block_type']} '{row.get('block')}' ({int(lines)} lines of code) has no docstring",
                    **file_place(row))


@register
class PipelineMissingDescription(Rule):
    """A pipeline has no description.

    What it checks:
        The ``description`` of every pipeline's ``metadata.yaml`` (empty or absent).

    Why it matters:
        The description is shown in Mage's pipeline list and is the first place people look
        for a pipeline's purpose, owner and business logic.

    Example:
        ``description: null`` in ``pipelines/sales_revenue_daily/metadata.yaml``.

    Fix:
        Write one or two sentences: what the pipeline produces, for whom, and from which
        sources (edit it in the pipeline settings or in metadata.yaml).
    """

    id = "MAGE-DOC-002"
    name = "pipeline-missing-description"
    title = "Pipeline without a description"
    category = "documentation"
    severity = "low"
    off_by_default = ("on real repos almost no pipeline had a description, most were small jobs whose "
                      "name says what they do or whose README documents them (0 of 12 labelled findings "
                      "held up)")
    practices = ("BP-DOC-PIPELINES",)

    def check(self):
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            description = row.get("description")
            if not (isinstance(description, str) and description.strip()):
                yield self.finding(
                    f"pipeline '{row['pipeline']}' has no description",
                    project=row["project"], pipeline=row["pipeline"], path=row.get("path"))
