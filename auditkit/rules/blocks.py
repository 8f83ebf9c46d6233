"""Rules of category ``blocks``: size, single responsibility, reusability, naming, organisation.

They read the ``block_files`` frame (one row per file under a block-type folder, with its code
facts) and the ``blocks`` frame (one row per block entry of a pipeline).
"""
from __future__ import annotations

from collections import Counter

from auditkit import guide
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import (
    fact, fact_lines, file_place, first_line, frame_of, leaf, logic_files, number, pipeline_condition, plural,
    rows, short_list,
)


@register
class BlockTooLarge(Rule):
    """A block file has more lines of code than the guide's maximum.

    What it checks:
        Code lines (no blanks, no comments) of loader, transformer, exporter and custom block
        files against ``max_lines``.

    Why it matters:
        A block of several hundred lines almost always does several things. It is hard to
        review, to test with ``@test`` functions and to reuse, and one failure reruns all of it.

    Example:
        ``transformers/clean_orders.py`` with 640 lines of code.

    Fix:
        Split the block into smaller blocks that each do one step (load, clean, enrich,
        aggregate), or move shared helpers to ``utils/``.

    Options:
        ``max_lines``: the largest acceptable block.
    """

    id = "MAGE-BLK-001"
    name = "block-too-large"
    title = "Block larger than the maximum size"
    category = "blocks"
    severity = "high"
    thresholds = (Threshold("max_lines", guide.BLOCK_MAX_LINES, "largest acceptable number of code lines", "integer > 0"),)
    practices = ("BP-BLOCK-SIZE", "BP-BLOCK-SINGLE-RESPONSIBILITY")

    def check(self):
        limit = self.option("max_lines")
        for row in logic_files(self.ctx.inventory):
            lines = number(row.get("lines_code"))
            if lines is not None and lines > limit:
                yield self.finding(
                    f"block file has {int(lines)} lines of code (maximum {limit})",
                    **file_place(row),
                    evidence=f"lines_code={int(lines)}")


@register
class BlockAboveIdealSize(Rule):
    """A block file is larger than the guide's ideal size but still under the maximum.

    What it checks:
        Code lines of loader, transformer, exporter and custom block files above ``ideal_max``
        and at most the maximum of MAGE-BLK-001 (larger files are reported by that rule).

    Why it matters:
        The guide's ideal is 50-200 lines per block. Blocks past that tend to grow into
        multi-purpose blocks; it is cheaper to split them now.

    Example:
        ``data_loaders/load_crm_contacts.py`` with 260 lines of code.

    Fix:
        Look for a second responsibility (validation, enrichment, formatting) and move it to
        its own block or a helper in ``utils/``.

    Options:
        ``ideal_max``: upper end of the ideal range.
    """

    id = "MAGE-BLK-002"
    name = "block-above-ideal-size"
    title = "Block above the ideal size"
    category = "blocks"
    severity = "low"
    off_by_default = ("the guide's ideal range is advice, not a limit: on real repos half of the files "
                      "just above it were coherent single-purpose blocks (long column lists, DDL); "
                      "MAGE-BLK-001 reports blocks over the maximum")
    thresholds = (Threshold("ideal_max", guide.BLOCK_IDEAL_LINES[1], "upper end of the ideal block size in code lines", "integer > 0"),)
    practices = ("BP-BLOCK-SIZE",)

    def check(self):
        ideal = self.option("ideal_max")
        maximum = BlockTooLarge(self.ctx).option("max_lines")
        for row in logic_files(self.ctx.inventory):
            lines = number(row.get("lines_code"))
            if lines is not None and ideal < lines <= maximum:
                yield self.finding(
                    f"block file has {int(lines)} lines of code (ideal at most {ideal})",
                    **file_place(row),
                    evidence=f"lines_code={int(lines)}")


@register
class BlockTriviallySmall(Rule):
    """A block file has almost no code.

    What it checks:
        Loader, transformer, exporter and custom block files with fewer than ``min_lines``
        lines of code (an untouched stub or a block whose work moved elsewhere).

    Why it matters:
        Each block costs a process, a log and a node in the graph. A block that does nothing
        clear adds run time and confusion; the guide asks for "enough code to accomplish one
        clear task".

    Example:
        ``transformers/passthrough.py`` whose function only returns its input (2 code lines).

    Fix:
        Delete the block and connect its neighbours directly, or merge it into the block it
        belongs with.

    Options:
        ``min_lines``: fewer code lines than this are reported.
    """

    id = "MAGE-BLK-003"
    name = "block-trivially-small"
    title = "Block with almost no code"
    category = "blocks"
    severity = "info"
    off_by_default = ("line counts cannot tell a stub from a short block that does one clear task "
                      "(a one-statement SQL exporter is Mage's normal form); on real repos 2 of 9 held up")
    thresholds = (Threshold("min_lines", 5, "smallest meaningful number of code lines", "integer >= 0"),)
    practices = ("BP-BLOCK-SIZE",)

    def check(self):
        minimum = self.option("min_lines")
        for row in logic_files(self.ctx.inventory):
            lines = number(row.get("lines_code"))
            if lines is not None and lines < minimum:
                yield self.finding(
                    f"block file has only {int(lines)} lines of code (fewer than {minimum})",
                    **file_place(row),
                    evidence=f"lines_code={int(lines)}")


@register
class BlockMixedResponsibility(Rule):
    """A loader, transformer or exporter both reads from a source and writes to a destination.

    What it checks:
        Block files (other than ``custom``) whose code facts show both data loading
        (``read_sql``, ``read_csv``, loader classes, ...) and data exporting (``to_sql``,
        ``to_parquet``, exporter classes, ...), and that reach another system (a database, an
        API, an object store). Reading and writing local files is how blocks hand data on.

    Why it matters:
        Single responsibility: a block that loads and exports hides a whole pipeline inside one
        node. It cannot be tested or retried step by step, and its output cannot be reused.

    Example:
        A transformer that calls ``pd.read_sql(...)`` and ends with ``df.to_parquet(...)``.

    Fix:
        Split it into a data loader, a transformer and a data exporter block connected in the
        pipeline.
    """

    id = "MAGE-BLK-004"
    name = "block-mixed-responsibility"
    title = "Block that loads and exports data"
    category = "blocks"
    severity = "medium"
    practices = ("BP-BLOCK-SINGLE-RESPONSIBILITY",)

    def check(self):
        for row in logic_files(self.ctx.inventory):
            if row.get("block_type") == "custom":
                continue   # custom blocks are Mage's escape hatch for multi-step work
            # Reading and writing local files is how blocks hand data on; a block that loads and
            # exports *and* reaches another system is a pipeline hidden in one node.
            if fact(row, "loads_data") is True and fact(row, "exports_data") is True and fact(row, "external_io"):
                yield self.finding(
                    f"{row['block_type']} block both loads and exports data",
                    **file_place(row),
                    evidence="loads_data and exports_data")


class _HardcodedFacts(Rule):
    """Shared check: one finding per file and fact kind, at the first line."""

    kinds: tuple[tuple[str, str], ...] = ()

    def check(self):
        for row in logic_files(self.ctx.inventory):
            for key, label in self.kinds:
                items = fact(row, key)
                if not items:
                    continue
                lines = fact_lines(items)
                yield self.finding(
                    f"{len(items)} hard-coded {label} in the block",
                    key=key, **file_place(row),
                    line=first_line(items), evidence=f"{key} at lines {short_list(lines)}")


@register
class BlockHardcodedValues(_HardcodedFacts):
    """A block hard-codes the dates of the data it processes.

    What it checks:
        Date literals (``'2024-01-31'``) in loader, transformer, exporter and custom block code
        that pipelines run. Table names are not reported: a loader naming the table it loads
        is what a loader is for, and on real repos such findings were noise.

    Why it matters:
        A fixed date ties a block to one run: it cannot be backfilled for another period, and
        a rerun loads the same window again.

    Example:
        ``pd.read_sql("SELECT * FROM customers WHERE month='2024-01'", conn)``

    Fix:
        Take dates from the run (``kwargs['execution_date']``) or pipeline variables.
    """

    id = "MAGE-BLK-005"
    name = "block-hardcoded-values"
    title = "Hard-coded dates in a block"
    category = "blocks"
    severity = "low"
    practices = ("BP-BLOCK-REUSABILITY",)
    kinds = (("hardcoded_dates", "dates"),)


@register
class BlockHardcodedConnection(_HardcodedFacts):
    """A block hard-codes a connection string.

    What it checks:
        Database or service URLs (``postgresql://...``, ``Server=...``) written into block
        code. Only the kind and line are reported, never the value.

    Why it matters:
        A fixed connection cannot differ per environment, so the same code cannot run in
        development, staging and production; it often carries credentials too.

    Example:
        ``create_engine('postgresql://etl:...@db.internal:5432/sales')``

    Fix:
        Read connections from ``io_config.yaml`` profiles or environment variables
        (``os.environ['DATABASE_URL']``).
    """

    id = "MAGE-BLK-006"
    name = "block-hardcoded-connection"
    title = "Hard-coded connection string in a block"
    category = "blocks"
    severity = "medium"
    practices = ("BP-BLOCK-REUSABILITY", "CICD-BLOCK-ENV-VAR")
    kinds = (("connection_strings", "connection strings"),)


@register
class BlockNaming(Rule):
    """A loader, transformer or exporter is not named after its block type.

    What it checks:
        The last part of the block uuid of data loaders (``load_``), transformers
        (``transform_``) and data exporters (``export_``) against the accepted prefixes.

    Why it matters:
        Names that say what a block does make pipelines readable in the UI, in logs and in
        run history, and make blocks easy to find for reuse.

    Example:
        ``data_loaders/customers.py`` (expected ``load_customers`` or ``load_crm_customers``).

    Fix:
        Rename the block to ``load_<source>_<entity>``, ``transform_<action>_<entity>`` or
        ``export_<entity>_to_<destination>`` (rename it in the UI so pipeline entries follow).

    Options:
        ``loader_prefixes``, ``transformer_prefixes``, ``exporter_prefixes``: accepted prefixes.
    """

    id = "MAGE-BLK-007"
    name = "block-naming"
    title = "Block name does not follow the naming convention"
    category = "blocks"
    severity = "low"
    off_by_default = ("the load_/transform_/export_ prefixes are a convention few teams adopt: on real "
                      "repos it fired on most blocks of every project and none of the labelled findings "
                      "was worth a reviewer's time; switch it on when the team has adopted the convention")
    thresholds = (
        Threshold("loader_prefixes", ["load_"], "accepted name prefixes of data loaders", "list of strings"),
        Threshold("transformer_prefixes", ["transform_"], "accepted name prefixes of transformers", "list of strings"),
        Threshold("exporter_prefixes", ["export_"], "accepted name prefixes of data exporters", "list of strings"),
    )
    practices = ("BP-BLOCK-NAMING",)

    def check(self):
        prefixes = {
            "data_loader": tuple(self.option("loader_prefixes")),
            "transformer": tuple(self.option("transformer_prefixes")),
            "data_exporter": tuple(self.option("exporter_prefixes")),
        }
        for row in logic_files(self.ctx.inventory):
            wanted = prefixes.get(row.get("block_type"))
            name = leaf(row.get("block") or "")
            if wanted and name and not name.startswith(wanted):
                yield self.finding(
                    f"{row['block_type']} '{name}' does not start with {' or '.join(wanted)}",
                    **file_place(row))


@register
class BlockSubfolderTooDeep(Rule):
    """A block file sits too many subfolders deep inside its block-type folder.

    What it checks:
        The subfolder depth of each block file below its type folder
        (``data_loaders/api/stripe/v2/load_x.py`` is 3 deep) against ``max_depth``.

    Why it matters:
        The guide keeps subfolders to one or two levels: deeper trees hide blocks and make
        uuids (``api/stripe/v2/load_x``) long and fragile.

    Example:
        ``transformers/sales/eu/daily/transform_orders.py``

    Fix:
        Flatten the tree to ``<category>/<block>`` (by source, domain or function). dbt models
        are not checked: dbt's own project layout decides their folders.

    Options:
        ``max_depth``: deepest accepted subfolder level.
    """

    id = "MAGE-BLK-008"
    name = "block-subfolder-too-deep"
    title = "Block subfolder nesting too deep"
    category = "blocks"
    severity = "low"
    thresholds = (Threshold("max_depth", guide.BLOCK_SUBFOLDER_DEPTH, "deepest accepted subfolder level", "integer >= 0"),)
    practices = ("BP-BLOCK-SUBFOLDER-DEPTH",)

    def check(self):
        limit = self.option("max_depth")
        for row in rows(frame_of(self.ctx.inventory, "block_files")):
            if row.get("block_type") == "dbt" or row.get("referenced") is False or row.get("template"):
                continue   # dbt dictates its own models/ layout; unused files are reported by BLK-010
            depth = number(row.get("subfolder_depth"))
            if depth is not None and depth > limit:
                yield self.finding(
                    f"block file is {int(depth)} subfolders deep (maximum {limit})",
                    **file_place(row))


@register
class BlockFileMissing(Rule):
    """A pipeline lists a block whose file does not exist.

    What it checks:
        Block entries of every pipeline whose resolved file (default path,
        ``file_source.path`` or ``file_path``) is missing. Blocks without a file of their own
        (replicas, global data products) and blocks Mage never runs (markdown notes, charts)
        are not checked.

    Why it matters:
        The pipeline fails when it reaches the block; often the file was renamed or deleted
        and the pipeline YAML was not updated.

    Example:
        ``pipelines/sales_daily/metadata.yaml`` lists ``transform_orders`` but
        ``transformers/transform_orders.py`` is gone.

    Fix:
        Restore the file, point the entry at the renamed file, or remove the entry and
        reconnect its neighbours.
    """

    id = "MAGE-BLK-009"
    name = "block-file-missing"
    title = "Block entry without its file"
    category = "blocks"
    severity = "high"
    practices = ()

    def check(self):
        for row in rows(frame_of(self.ctx.inventory, "blocks")):
            if row.get("path_source") == "none" or not row.get("path") or row.get("block_type") in NEVER_PIPELINE_MEMBERS:
                continue   # markdown notes and charts never run: a missing one breaks nothing
            if row.get("file_exists") is False:
                yield self.finding(
                    f"block '{row['block']}' of pipeline '{row['pipeline']}' points at a missing file",
                    project=row["project"], pipeline=row["pipeline"], block=row["block"],
                    path=row["path"], evidence=f"resolved from {row.get('path_source') or 'default'}")


# Block types whose files are not meant to run in a pipeline.
NEVER_PIPELINE_MEMBERS = ("scratchpad", "chart", "markdown", None)


@register
class OrphanBlockFile(Rule):
    """A block file is used by no pipeline.

    What it checks:
        Files under block-type folders that no pipeline entry references. Scratchpads
        (notebooks by design), charts (dashboard widgets, whose layout Mage keeps in its data
        folder, not in the repo) and markdown notes are not pipeline members and are not
        reported.

    Why it matters:
        Orphans are dead code: they are still read, reviewed and scanned, they mislead people
        looking for the block that really runs, and they rot.

    Example:
        ``data_loaders/load_orders_old.py`` after the pipeline switched to ``load_orders``.

    Fix:
        Delete the file (git keeps its history), or add it to the pipeline that should use it.
    """

    id = "MAGE-BLK-010"
    name = "orphan-block-file"
    title = "Block file used by no pipeline"
    category = "blocks"
    severity = "low"
    practices = ("BP-BLOCK-REUSABILITY",)

    def check(self):
        for row in rows(frame_of(self.ctx.inventory, "block_files")):
            if row.get("block_type") in NEVER_PIPELINE_MEMBERS or row.get("skipped") or row.get("template"):
                continue   # see NEVER_PIPELINE_MEMBERS; templates are MAGE-BLK-013's
            if row.get("referenced") is False:
                yield self.finding(
                    f"{row['block_type']} file is not used by any pipeline",
                    **file_place(row))


@register
class BlockSharedByMany(Rule):
    """A block file is used by many pipelines.

    What it checks:
        Block files referenced by more than ``max_pipelines`` pipelines.

    Why it matters:
        Reuse is good, but a change to this file reaches every pipeline at once. Such blocks
        deserve stable interfaces, thorough ``@test`` functions and careful review.

    Example:
        ``transformers/transform_standardize_dates.py`` used by 9 pipelines.

    Fix:
        Nothing has to change; make sure the block is tested and documented, and consider a
        shared helper in ``utils/`` with a versioned interface.

    Options:
        ``max_pipelines``: more users than this are reported.
    """

    id = "MAGE-BLK-011"
    name = "block-shared-by-many"
    title = "Block shared by many pipelines"
    category = "blocks"
    severity = "info"
    thresholds = (Threshold("max_pipelines", 5, "number of pipelines above which a shared block is reported", "integer > 0"),)
    practices = ("BP-BLOCK-REUSABILITY",)

    def check(self):
        limit = self.option("max_pipelines")
        for row in rows(frame_of(self.ctx.inventory, "block_files")):
            users = number(row.get("n_pipelines"))
            if users is not None and users > limit:
                yield self.finding(
                    f"block file is used by {int(users)} pipelines (more than {limit})",
                    **file_place(row))


@register
class FlatBlockFolder(Rule):
    """A block-type folder holds many files directly, without subfolders.

    What it checks:
        Per project and block type, the number of block files at the top of the type folder
        (not in a subfolder) against ``max_flat_files``.

    Why it matters:
        In large projects a flat folder of dozens of loaders is hard to browse and invites
        duplicates; the guide groups blocks by source, domain or function.

    Example:
        ``data_loaders/`` with 35 files and no subfolder.

    Fix:
        Move blocks into subfolders such as ``api/``, ``database/``, ``sales/`` (rename the
        block to ``<subfolder>/<name>`` so pipeline entries follow).

    Options:
        ``max_flat_files``: more top-level files than this are reported.
    """

    id = "MAGE-BLK-012"
    name = "flat-block-folder"
    title = "Many block files without subfolders"
    category = "blocks"
    severity = "info"
    off_by_default = ("a file count says little about organisation: on real repos the crowded folders "
                      "were crowded by duplicate and unused blocks, which other rules report")
    thresholds = (Threshold("max_flat_files", 20, "top-level files per block-type folder before subfolders are advised", "integer > 0"),)
    practices = ("BP-BLOCK-SUBFOLDERS",)

    def check(self):
        limit = self.option("max_flat_files")
        flat: Counter = Counter()
        folder_of: dict = {}
        for row in rows(frame_of(self.ctx.inventory, "block_files")):
            if row.get("subfolder_depth") == 0 and row.get("block_type") not in ("scratchpad", None):
                key = (row["project"], row["block_type"])
                flat[key] += 1
                folder_of[key] = row["path"].rsplit("/", 1)[0] if "/" in row["path"] else "."
        for (project, block_type), count in sorted(flat.items()):
            if count > limit:
                yield self.finding(
                    f"{count} {block_type} files sit directly in {folder_of[(project, block_type)]}/ (more than {limit})",
                    key=block_type, project=project, path=folder_of[(project, block_type)])


@register
class UntouchedScaffolding(Rule):
    """Mage's own scaffolding is still in the project.

    What it checks:
        Block files whose every code line comes from a template shipped in the mage-ai package
        (``mage init``'s ``load_titanic``, ``fill_in_missing_values`` and
        ``export_titanic_clean``, or a block the UI created and nobody edited), and pipelines made
        only of such blocks (``example_pipeline``). Templates are recognised by content, from
        facts read out of mage-ai's own wheels, not by name. One finding per project.

    Why it matters:
        Scaffolding is not the team's code. Left in place it clutters the project and the
        UI, and a template wired into a pipeline that runs does nothing useful (or fails on its
        placeholder query). Other rules leave these files alone, so this is the one reminder.

    Example:
        ``pipelines/example_pipeline`` with its three Titanic blocks, a year after ``mage init``.

    Fix:
        Delete the example pipeline and the unused template blocks; finish or delete template
        blocks that pipelines use.
    """

    id = "MAGE-BLK-013"
    name = "untouched-scaffolding"
    title = "Mage scaffolding left in the project"
    category = "blocks"
    severity = "info"
    practices = ("BP-BLOCK-SINGLE-RESPONSIBILITY",)

    def check(self):
        condition = pipeline_condition(self.ctx.inventory)
        by_project: dict[str, dict[str, list[str]]] = {}
        for row in rows(frame_of(self.ctx.inventory, "block_files")):
            if row.get("template"):
                by_project.setdefault(row["project"], {"files": [], "pipelines": []})["files"].append(row["path"])
        for (project, pipeline), why in sorted(condition.items()):
            if why == "scaffolding":
                by_project.setdefault(project, {"files": [], "pipelines": []})["pipelines"].append(pipeline)
        for project, found in sorted(by_project.items()):
            files, pipelines = sorted(found["files"]), found["pipelines"]
            parts = []
            if pipelines:
                parts.append(f"{plural(len(pipelines), 'pipeline')} made only of template blocks ({short_list(pipelines)})")
            if files:
                parts.append(f"{plural(len(files), 'untouched template block file')}")
            yield self.finding(
                "Mage scaffolding left in the project: " + "; ".join(parts),
                project=project, path=files[0] if files else None,
                evidence=f"files: {short_list(files)}" if files else None)
