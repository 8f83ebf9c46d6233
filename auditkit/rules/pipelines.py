"""Rules of category ``pipelines``: naming, tags, size, graph shape and graph health.

They read the ``pipelines`` frame (graph measures are computed by the repo reader) and the
``edges`` frame.
"""
from __future__ import annotations

import re
from collections import defaultdict

import networkx as nx

from auditkit import guide
from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import frame_of, number, rows, short_list

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# Pipeline types whose size is set by Mage, not by the author (source + destination, or a
# stream's source/transform/sink), so the 10-30 block advice does not apply.
FIXED_SHAPE_TYPES = ("integration", "streaming")


def _pipeline_finding(rule: Rule, row: dict, message: str, **kw):
    return rule.finding(message, project=row["project"], pipeline=row["pipeline"], path=row.get("path"), **kw)


@register
class PipelineNaming(Rule):
    """A pipeline's uuid does not follow ``<domain>_<purpose>_<frequency>``.

    What it checks:
        The pipeline uuid (its folder name) is lower_snake_case, has at least ``min_parts``
        parts, and one part is a frequency word from ``frequency_words``.

    Why it matters:
        A consistent name tells at a glance which domain a pipeline serves, what it produces
        and how often it runs, in the UI, in alerts and in run history.

    Example:
        ``pipelines/test_pipe_2`` or ``pipelines/RevenueReport``.

    Fix:
        Rename to e.g. ``sales_revenue_report_daily`` (create the pipeline under the new name
        and move triggers; the uuid cannot be renamed in place).

    Options:
        ``min_parts``: fewest underscore-separated parts; ``frequency_words``: accepted words.
    """

    id = "MAGE-PIP-001"
    name = "pipeline-naming"
    title = "Pipeline name not <domain>_<purpose>_<frequency>"
    category = "pipelines"
    severity = "low"
    off_by_default = ("the <domain>_<purpose>_<frequency> convention is one few teams adopt: on real repos it "
                      "fired on nearly every pipeline and 1 of 12 labelled findings was worth a reviewer's time")
    thresholds = (
        Threshold("min_parts", 3, "fewest underscore-separated parts in the name", "integer >= 1"),
        Threshold("frequency_words", ["realtime", "streaming", "minutely", "hourly", "daily", "nightly",
                                      "weekly", "biweekly", "monthly", "quarterly", "yearly", "annual",
                                      "adhoc", "ondemand", "once", "backfill"],
                  "words accepted as the <frequency> part", "list of strings"),
    )
    practices = ("BP-PIPELINE-NAMING",)

    def check(self):
        min_parts = self.option("min_parts")
        words = {w.lower() for w in self.option("frequency_words")}
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            uuid = str(row["pipeline"])
            parts = uuid.split("_")
            problems = []
            if not SNAKE.match(uuid):
                problems.append("not lower_snake_case")
            if len(parts) < min_parts:
                problems.append(f"{len(parts)} part(s), at least {min_parts} expected")
            if not words.intersection(p.lower() for p in parts):
                problems.append("no frequency word (e.g. daily, hourly, realtime)")
            if problems:
                yield _pipeline_finding(self, row, f"pipeline '{uuid}' is not <domain>_<purpose>_<frequency>: "
                                        + "; ".join(problems))


@register
class PipelineUntagged(Rule):
    """A pipeline has no tags.

    What it checks:
        The ``tags`` list of every pipeline's ``metadata.yaml``.

    Why it matters:
        Tags (domain, type, environment, priority) are how the pipeline list is filtered and
        grouped, and how alerting and ownership are organised.

    Example:
        ``tags: []``

    Fix:
        Add tags such as ``sales``, ``etl``, ``production``, ``critical`` (right-click the
        pipeline, Add/Remove tags, or edit metadata.yaml).
    """

    id = "MAGE-PIP-002"
    name = "pipeline-untagged"
    title = "Pipeline without tags"
    category = "pipelines"
    severity = "low"
    off_by_default = ("on real repos almost no pipeline had tags, so the finding fired everywhere and told "
                      "nothing (0 of 12 labelled findings held up); switch it on once the team tags pipelines")
    practices = ("BP-PIPELINE-TAGS",)

    def check(self):
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            if not row.get("tags"):
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' has no tags")


@register
class TagFormat(Rule):
    """A pipeline tag is not lowercase_with_underscores.

    What it checks:
        Every tag of every pipeline against ``^[a-z0-9]+(_[a-z0-9]+)*$`` and ``max_length``.

    Why it matters:
        Tags differing in case or separators (``Data-Quality`` vs ``data_quality``) split one
        group into several and break filters.

    Example:
        ``tags: ['Sales', 'data quality']``

    Fix:
        Rename the tag to its lowercase_with_underscores form (``sales``, ``data_quality``).

    Options:
        ``max_length``: longest accepted tag.
    """

    id = "MAGE-PIP-003"
    name = "tag-format"
    title = "Tag not lowercase_with_underscores"
    category = "pipelines"
    severity = "low"
    thresholds = (Threshold("max_length", 30, "longest accepted tag", "integer > 0"),)
    practices = ("BP-PIPELINE-TAG-FORMAT",)

    def check(self):
        max_length = self.option("max_length")
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            for tag in row.get("tags") or []:
                tag = str(tag)
                if not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", tag) or len(tag) > max_length:
                    yield _pipeline_finding(self, row, f"tag {tag!r} of pipeline '{row['pipeline']}' is not "
                                            f"lowercase_with_underscores (at most {max_length} characters)",
                                            key=tag)


def normalise_tag(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_")


@register
class InconsistentTagSpelling(Rule):
    """The same tag is spelled several ways across a project's pipelines.

    What it checks:
        Tags that become identical when lower-cased and with separators turned into ``_``
        (``Sales``, ``sales``; ``data-quality``, ``data_quality``) but are spelled differently.

    Why it matters:
        Filtering by one spelling misses the pipelines tagged with the other; the team's
        tagging convention is not being followed.

    Example:
        ``sales_orders_daily`` tagged ``Sales``, ``sales_revenue_daily`` tagged ``sales``.

    Fix:
        Pick one spelling (lowercase_with_underscores) and retag the other pipelines.
    """

    id = "MAGE-PIP-004"
    name = "inconsistent-tag-spelling"
    title = "Same tag spelled several ways"
    category = "pipelines"
    severity = "low"
    practices = ("BP-PIPELINE-TAG-CONSISTENCY",)

    def check(self):
        spellings: dict[tuple, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            for tag in row.get("tags") or []:
                spellings[(row["project"], normalise_tag(str(tag)))][str(tag)].append(row["pipeline"])
        for (project, norm), variants in sorted(spellings.items()):
            if len(variants) > 1:
                listed = "; ".join(f"{v!r} in {short_list(sorted(set(p)), 3)}" for v, p in sorted(variants.items()))
                yield self.finding(f"tag '{norm}' is spelled {len(variants)} ways: {listed}",
                                   key=norm, project=project)


@register
class PipelineTooManyBlocks(Rule):
    """A pipeline has more blocks than the guide recommends.

    What it checks:
        The number of executable block entries of each pipeline against ``max_blocks``.

    Why it matters:
        Very large pipelines are slow to load, hard to reason about, and one failure holds
        up everything; the guide recommends splitting them and coordinating with an
        orchestration pipeline.

    Example:
        A pipeline with 45 blocks.

    Fix:
        Split it along natural boundaries (ingest, transform, publish) into pipelines that
        trigger each other, and extract repeated logic into reusable blocks.

    Options:
        ``max_blocks``: upper end of the recommended range.
    """

    id = "MAGE-PIP-005"
    name = "pipeline-too-many-blocks"
    title = "Pipeline with too many blocks"
    category = "pipelines"
    severity = "medium"
    thresholds = (Threshold("max_blocks", guide.PIPELINE_BLOCKS[1], "most blocks recommended per pipeline", "integer > 0"),)
    practices = ("BP-PIPELINE-BLOCK-COUNT",)

    def check(self):
        limit = self.option("max_blocks")
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            count = number(row.get("n_blocks"))
            if count is not None and count > limit:
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' has {int(count)} blocks (more than {limit})")


@register
class PipelineTooFewBlocks(Rule):
    """A batch pipeline has fewer blocks than the guide's recommended range.

    What it checks:
        Batch pipelines (not integration or streaming, whose shape Mage fixes) with at least
        one but fewer than ``min_blocks`` blocks.

    Why it matters:
        Informational: many tiny pipelines multiply triggers, alerts and run records; related
        small pipelines are often better as one pipeline of 10-30 blocks.

    Example:
        A batch pipeline with 3 blocks.

    Fix:
        Nothing is wrong if the job is genuinely small; otherwise merge closely related small
        pipelines.

    Options:
        ``min_blocks``: lower end of the recommended range.
    """

    id = "MAGE-PIP-006"
    name = "pipeline-too-few-blocks"
    title = "Pipeline with fewer blocks than recommended"
    category = "pipelines"
    severity = "info"
    off_by_default = ("the guide's 10-30 blocks is a range for complex pipelines; most real pipelines are "
                      "small jobs that are right to be small (0 of 12 labelled findings held up)")
    thresholds = (Threshold("min_blocks", guide.PIPELINE_BLOCKS[0], "fewest blocks recommended per pipeline", "integer >= 0"),)
    practices = ("BP-PIPELINE-BLOCK-COUNT",)

    def check(self):
        limit = self.option("min_blocks")
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            count = number(row.get("n_blocks"))
            if row.get("pipeline_type") in FIXED_SHAPE_TYPES or count is None:
                continue
            if 0 < count < limit:
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' has {int(count)} blocks (fewer than {limit})")


@register
class EmptyPipeline(Rule):
    """A pipeline has no blocks.

    What it checks:
        Pipelines whose ``metadata.yaml`` lists no executable block. A ``metadata.yaml`` that
        does not parse or whose structure is damaged is MAGE-PIP-015's.

    Why it matters:
        An empty pipeline is usually an abandoned experiment; its triggers still run and its
        folder clutters the project.

    Example:
        ``blocks: []`` or ``blocks: null``.

    Fix:
        Delete the pipeline (and its triggers), or add its blocks.
    """

    id = "MAGE-PIP-007"
    name = "empty-pipeline"
    title = "Pipeline without blocks"
    category = "pipelines"
    severity = "low"
    practices = ("BP-PIPELINE-BLOCK-COUNT",)

    def check(self):
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            # a metadata.yaml Mage cannot load shows no blocks: MAGE-PIP-015 says why
            if number(row.get("n_blocks")) == 0 and row.get("readable") is not False:
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' has no blocks")


@register
class DependencyTooDeep(Rule):
    """A pipeline's dependency chain is deeper than the guide's limit.

    What it checks:
        The number of levels of the longest upstream-to-downstream chain of each pipeline
        against ``max_depth``. dbt blocks do not count as levels: a chain of dbt models
        (staging, snapshots, marts) is dbt's lineage, which dbt orders and builds itself.

    Why it matters:
        Long chains run strictly one after another: run time adds up, and a failure near the
        top blocks everything below it.

    Example:
        ``load -> clean -> dedupe -> enrich -> join -> aggregate -> pivot -> format -> export``
        (9 levels).

    Fix:
        Merge steps that always run together, run independent steps in parallel, or split the
        pipeline.

    Options:
        ``max_depth``: deepest accepted chain in levels.
    """

    id = "MAGE-PIP-008"
    name = "dependency-too-deep"
    title = "Dependency chain too deep"
    category = "pipelines"
    severity = "medium"
    thresholds = (Threshold("max_depth", guide.PIPELINE_MAX_DEPTH, "most levels of dependencies", "integer > 0"),)
    practices = ("BP-PIPELINE-DEPTH",)

    def check(self):
        limit = self.option("max_depth")
        inv = self.ctx.inventory
        for row in rows(frame_of(inv, "pipelines")):
            depth = number(row.get("depth"))
            if depth is not None and depth > limit and not row.get("has_cycle"):
                depth = _depth_without_dbt(inv, row["project"], row["pipeline"], int(depth))
            if depth is not None and depth > limit:
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' is {int(depth)} levels deep (at most {limit})")


def _depth_without_dbt(inv, project: str, pipeline: str, depth: int) -> int:
    """Levels of the longest chain counting only non-dbt blocks (``depth`` when the blocks or
    edges are not known)."""
    blocks = frame_of(inv, "blocks")
    edges = frame_of(inv, "edges")
    if not len(blocks) or not len(edges):
        return depth
    mine = blocks[(blocks["project"] == project) & (blocks["pipeline"] == pipeline)]
    if not len(mine):
        return depth
    weight = {b: 0 if kind == "dbt" else 1 for b, kind in zip(mine["block"], mine["block_type"])}
    graph = nx.DiGraph()
    graph.add_nodes_from(weight)
    links = edges[(edges["project"] == project) & (edges["pipeline"] == pipeline) & ~edges["dangling"].fillna(False).astype(bool)]
    graph.add_edges_from((u, v) for u, v in zip(links["upstream"], links["downstream"]) if u in weight and v in weight)
    if not nx.is_directed_acyclic_graph(graph):
        return depth
    levels: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        levels[node] = weight[node] + max((levels[u] for u in graph.predecessors(node)), default=0)
    return max(levels.values(), default=0)


@register
class TooManyParallelBranches(Rule):
    """A pipeline runs more parallel branches than the guide recommends.

    What it checks:
        The widest level of each pipeline's graph (blocks that can run side by side) against
        ``max_width``.

    Why it matters:
        Wide fan-outs compete for executors and connections, overload sources, and are hard
        to follow in the UI; the guide limits them to 5-10.

    Example:
        One loader feeding 14 independent transformers.

    Fix:
        Use a dynamic block to fan out over a list, group branches into separate pipelines,
        or set concurrency limits.

    Options:
        ``max_width``: most parallel blocks on one level.
    """

    id = "MAGE-PIP-009"
    name = "too-many-parallel-branches"
    title = "Too many parallel branches"
    category = "pipelines"
    severity = "medium"
    thresholds = (Threshold("max_width", guide.PIPELINE_MAX_BRANCHES, "most blocks on one level of the graph", "integer > 0"),)
    practices = ("BP-PIPELINE-BRANCHES",)

    def check(self):
        limit = self.option("max_width")
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            width = number(row.get("max_width"))
            if width is not None and width > limit:
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' has {int(width)} parallel branches (at most {limit})")


@register
class PipelineCycle(Rule):
    """A pipeline's block graph contains a cycle.

    What it checks:
        Whether following ``upstream_blocks`` of a pipeline's blocks ever returns to a block
        already visited.

    Why it matters:
        A pipeline is a directed acyclic graph: blocks in a cycle wait for each other and never
        run, and Mage refuses to save such a pipeline in the UI.

    Example:
        ``transform_a`` upstream of ``transform_b`` which is upstream of ``transform_a``.

    Fix:
        Remove the edge that closes the loop; if two blocks really exchange data, merge them or
        introduce a third block.
    """

    id = "MAGE-PIP-010"
    name = "pipeline-cycle"
    title = "Circular dependency between blocks"
    category = "pipelines"
    severity = "high"
    practices = ("BP-PIPELINE-ACYCLIC",)

    def check(self):
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            if row.get("has_cycle") is True:
                cycle = [str(b) for b in row.get("cycle") or []]
                shown = " -> ".join(cycle + cycle[:1]) if cycle else "unknown blocks"
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' has a dependency cycle: {shown}",
                                        evidence=shown)


@register
class DanglingDependency(Rule):
    """A block depends on (or feeds) a block that is not in the pipeline.

    What it checks:
        ``upstream_blocks`` / ``downstream_blocks`` entries naming a uuid that is not a block,
        callback or conditional of the same pipeline.

    Why it matters:
        The edge points at nothing: usually a renamed or deleted block. The dependent block
        may run too early or never, and the pipeline no longer documents its real data flow.

    Example:
        ``upstream_blocks: [load_orders_v1]`` after ``load_orders_v1`` was renamed.

    Fix:
        Point the entry at the current block uuid, or remove it.
    """

    id = "MAGE-PIP-011"
    name = "dangling-dependency"
    title = "Dependency on a block that does not exist"
    category = "pipelines"
    severity = "high"
    practices = ("BP-PIPELINE-MINIMAL-DEPENDENCIES",)

    def check(self):
        paths = {(r["project"], r["pipeline"]): r.get("path") for r in rows(frame_of(self.ctx.inventory, "pipelines"))}
        for row in rows(frame_of(self.ctx.inventory, "edges")):
            if row.get("dangling") is True:
                edge = f"{row['upstream']} -> {row['downstream']}"
                yield self.finding(f"pipeline '{row['pipeline']}' has an edge to a missing block: {edge}",
                                   key=edge, project=row["project"], pipeline=row["pipeline"],
                                   path=paths.get((row["project"], row["pipeline"])), evidence=edge)


@register
class PipelineUuidMismatch(Rule):
    """A pipeline's ``uuid`` in metadata.yaml differs from its folder name.

    What it checks:
        The ``uuid`` key of each pipeline's metadata.yaml against the folder it sits in.

    Why it matters:
        Mage identifies the pipeline by its folder; triggers, run history and logs use that
        name while the YAML claims another, which misleads people and tools (usually a
        copied folder).

    Example:
        ``pipelines/sales_orders_daily/metadata.yaml`` with ``uuid: sales_orders_daily_copy``.

    Fix:
        Set ``uuid`` to the folder name (or rename the pipeline through the UI so both agree).
    """

    id = "MAGE-PIP-012"
    name = "pipeline-uuid-mismatch"
    title = "Pipeline uuid differs from its folder"
    category = "pipelines"
    severity = "medium"
    practices = ("BP-PIPELINE-NAMING",)

    def check(self):
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            declared = row.get("uuid_in_yaml")
            if declared and str(declared) != str(row["pipeline"]):
                yield _pipeline_finding(self, row, f"pipeline folder '{row['pipeline']}' declares uuid '{declared}'",
                                        evidence=f"uuid: {declared}")


@register
class DuplicatePipelineName(Rule):
    """Several pipelines of a project share one display name.

    What it checks:
        The ``name`` of every pipeline, case-insensitively, within each project.

    Why it matters:
        The pipeline list, alerts and notifications show the name: two pipelines called the
        same cannot be told apart, and the wrong one gets triggered or fixed.

    Example:
        ``pipelines/orders_daily`` and ``pipelines/orders_daily_copy`` both named ``orders daily``.

    Fix:
        Give each pipeline a distinct name following ``<domain>_<purpose>_<frequency>``, or
        delete the stale copy.
    """

    id = "MAGE-PIP-013"
    name = "duplicate-pipeline-name"
    title = "Pipelines sharing a name"
    category = "pipelines"
    severity = "medium"
    practices = ("BP-PIPELINE-NAMING",)

    def check(self):
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for row in rows(frame_of(self.ctx.inventory, "pipelines")):
            name = row.get("name")
            if isinstance(name, str) and name.strip():
                groups[(row["project"], name.strip().lower())].append(row)
        for (_, name), members in sorted(groups.items()):
            if len(members) < 2:
                continue
            for row in members:
                others = sorted(str(m["pipeline"]) for m in members if m is not row)
                yield _pipeline_finding(self, row, f"pipeline '{row['pipeline']}' shares the name '{name}' with "
                                        f"{short_list(others, 3)}", key=name)
