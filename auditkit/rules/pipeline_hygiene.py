"""Rules of category ``pipelines`` about pipelines that should not be in the repo as they are:
leftover test/scratch/copy pipelines, and pipelines Mage cannot load."""
from __future__ import annotations

import re

from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import frame_of, pipeline_condition, rows
from auditkit.engine.lookups import history_of, place, unattended_pipelines

_WORD = re.compile(r"[a-z]+|\d+")


def leftover_word(name: str, words: list[str]) -> str | None:
    """The word of ``name`` (split at ``_``, ``-``, spaces, digits and case changes) that marks a
    test, scratch or copy pipeline, or None."""
    parts = re.split(r"[_\-\s.]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower())
    tokens = [t for part in parts for t in _WORD.findall(part)]
    return next((t for t in tokens if t in words), None)


def numbered_copy_of(name: str, names: set[str]) -> str | None:
    """``dynamic_orders_2`` -> ``dynamic_orders`` when that pipeline exists too."""
    match = re.fullmatch(r"(.+?)[_\-\s]?\(?\d{1,2}\)?", name)
    return match.group(1) if match and match.group(1) in names else None


@register
class LeftoverPipeline(Rule):
    """A test, scratch or copy pipeline is left in the repository.

    What it checks:
        Pipelines whose uuid or name carries a word such as ``test``, ``tmp``, ``scratch``,
        ``untitled``, ``copy`` or ``clone`` (whole words: ``latest`` does not count), or that are
        a numbered copy of another pipeline of the project (``orders_2`` beside ``orders``), and
        that nothing runs: no trigger in ``triggers.yaml`` and, with a run history, no trigger
        in the database and no run in the history window. Pipelines of untouched Mage
        scaffolding are left to MAGE-BLK-013, and pipelines without blocks to MAGE-PIP-007.

    Why it matters:
        A leftover pipeline is deployed with the rest: it shows in the UI next to the real
        ones, can be started by mistake against production, and every reader has to work out
        that it does not matter.

    Example:
        ``pipelines/git_test_4/`` and ``pipelines/dynamic_orders_data_2/`` with no trigger.

    Fix:
        Delete the pipeline (git keeps it), or rename it and give it a trigger if it is real.

    Options:
        ``words``: the words that mark a leftover pipeline.
    """

    id = "MAGE-PIP-014"
    name = "leftover-pipeline"
    title = "Leftover test, scratch or copy pipeline"
    category = "pipelines"
    severity = "low"
    thresholds = (Threshold("words", ["test", "tests", "testing", "tmp", "temp", "scratch", "untitled",
                                      "copy", "clone", "sandbox", "playground", "dummy", "draft"],
                            "words of a pipeline name that mark a leftover", "list of lower-case words"),)
    practices = ("BP-PIPELINE-NAMING",)
    off_by_default = ("too few findings on real repos to trust it yet: 4 on the 18 public repos of the "
                      "ecosystem check (all 4 real leftovers), under the 10 labelled findings a default rule needs")

    def check(self):
        inv = self.ctx.inventory
        history = history_of(self.ctx)
        running = unattended_pipelines(inv, history)
        if history is not None:
            counts = history.pipeline_run_counts()
            running |= {str(p) for p in counts["pipeline_uuid"]}
        conditions = pipeline_condition(inv)
        pipelines = list(rows(frame_of(inv, "pipelines")))
        names = {(str(p["project"]), str(p["pipeline"])) for p in pipelines}
        for p in pipelines:
            uuid = str(p["pipeline"])
            if uuid in running or conditions.get((p["project"], uuid)) in ("scaffolding", "empty"):
                continue
            why = self._why(uuid, str(p.get("name") or ""), {n for proj, n in names if proj == str(p["project"])})
            if why:
                yield self.finding(f"pipeline '{uuid}' looks like a leftover ({why}) and nothing runs it",
                                   project=p["project"], pipeline=uuid, path=p.get("path"))

    def _why(self, uuid: str, name: str, names: set[str]) -> str | None:
        words = [str(w).lower() for w in self.option("words")]
        for text in (uuid, name):
            word = leftover_word(text, words) if text else None
            if word:
                return f"'{word}' in its name"
        original = numbered_copy_of(uuid, names - {uuid})
        return f"a numbered copy of '{original}'" if original else None


@register
class UnloadablePipeline(Rule):
    """A pipeline's ``metadata.yaml`` is broken: Mage cannot load it as written.

    What it checks:
        Each pipeline's ``metadata.yaml``: YAML that does not parse, a document that is not a
        mapping, a top-level key that is a damaged known key (``locks:`` for ``blocks:``), block
        entries under a key Mage does not read, or a ``blocks`` section that is not a list.
        Unknown keys that resemble no known key are left alone (newer Mage versions add keys).

    Why it matters:
        Mage shows such a pipeline with no blocks (or not at all) and its triggers run nothing;
        it reads like an empty pipeline when in fact its blocks were lost in an edit or a merge.

    Example:
        ``locks:`` instead of ``blocks:`` at the top of ``pipelines/orders_daily/metadata.yaml``.

    Fix:
        Restore the key from git history (``git log -p pipelines/<name>/metadata.yaml``) and
        open the pipeline in Mage to check that its blocks are back.
    """

    id = "MAGE-PIP-015"
    name = "unloadable-pipeline"
    title = "Pipeline metadata.yaml Mage cannot load"
    category = "pipelines"
    severity = "high"
    practices = ("BP-PIPELINE-STRUCTURE",)
    off_by_default = ("not yet measured on real repos: no pipeline of the 18 public repos of the ecosystem "
                      "check is damaged, so it produced no finding to label; the reader still lists each "
                      "damaged metadata.yaml as an input problem (kind pipeline_structure or yaml)")

    def check(self):
        inv = self.ctx.inventory
        reasons: dict[str, list[str]] = {}
        for problem in rows(frame_of(inv, "input_problems")):
            if problem.get("kind") in ("yaml", "pipeline", "pipeline_structure"):
                reasons.setdefault(str(problem.get("path")), []).append(str(problem.get("reason")))
        for p in rows(frame_of(inv, "pipelines")):
            if p.get("readable") is not False:
                continue
            why = "; ".join(reasons.get(str(p.get("path")), []))
            if not why:
                continue        # not read at all (too large, unreadable): an input problem says so
            yield self.finding(f"pipeline '{p['pipeline']}' cannot be loaded by Mage: {why}",
                               project=p["project"], pipeline=str(p["pipeline"]), path=p.get("path"))


@register
class BrokenReference(Rule):
    """A pipeline or the project names something that does not exist.

    What it checks:
        ``global_data_product`` blocks whose ``configuration.global_data_product.uuid`` is not
        defined in the project's ``global_data_products.yaml`` (or the file is absent), and
        sub-projects listed in a multi-project ``settings.yaml`` whose folder is missing or is
        not a Mage project.

    Why it matters:
        Mage fails the block (or the whole platform view) at run time, far from the edit that
        broke the reference: a renamed data product or a deleted sub-project folder.

    Example:
        A block ``configuration: {global_data_product: {uuid: daily_orders}}`` while
        ``global_data_products.yaml`` only defines ``orders_daily``.

    Fix:
        Point the block at an existing data product (or define it), and remove or restore the
        listed sub-project.
    """

    id = "MAGE-PIP-016"
    name = "broken-reference"
    title = "Reference to a missing data product or sub-project"
    category = "pipelines"
    severity = "medium"
    practices = ("BP-PIPELINE-STRUCTURE",)
    off_by_default = ("not yet measured on real repos: no repo of the ecosystem check uses a global data "
                      "product block or a settings.yaml, so it produced no finding to label; a missing "
                      "sub-project is still listed as an input problem (kind missing_project)")

    def check(self):
        inv = self.ctx.inventory
        defined = {str(p["project"]): p.get("global_data_products") for p in rows(frame_of(inv, "projects"))}
        for block in rows(frame_of(inv, "blocks")):
            if block.get("block_type") != "global_data_product":
                continue
            configured = block.get("configuration")
            product = configured.get("global_data_product") if isinstance(configured, dict) else None
            uuid = product.get("uuid") if isinstance(product, dict) else None
            known = defined.get(str(block["project"]))
            if uuid and (known is None or str(uuid) not in known):
                where = "is not in global_data_products.yaml" if known is not None else "is used but the project has no global_data_products.yaml"
                yield self.finding(f"block '{block['block']}' of pipeline '{block['pipeline']}' names global data "
                                   f"product '{uuid}', which {where}", key=str(uuid), block=block["block"],
                                   **place(inv, str(block["pipeline"])))
        for problem in rows(frame_of(inv, "input_problems")):
            if problem.get("kind") == "missing_project":
                yield self.finding(str(problem.get("reason")), key=str(problem.get("reason")),
                                   project=problem.get("project"), path=problem.get("path"))
