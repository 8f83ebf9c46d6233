"""Rules of category ``blocks`` about the code inside blocks: copy-pasted code and complexity."""
from __future__ import annotations

from auditkit.engine.base import Rule, Threshold, register
from auditkit.engine.frames import file_place, logic_files, plural, short_list
from auditkit.readers.clones import CloneMember, find_clone_clusters

_FAMILIES = {"python": "python", "sql": "sql", "r": "r"}


@register
class CopyPastedCode(Rule):
    """Several blocks carry the same (or renamed) code.

    What it checks:
        The code of the block files pipelines run, as normalised statements (Python: one per
        statement, the file's own variable, parameter and function names replaced by their order
        of appearance, so renamed copies still match; SQL and R: one per code line). Files that
        share a run of at least ``min_statements`` consecutive statements form a cluster, reported
        once, with each member and its copied lines, when the copied part of the largest member
        spans at least ``min_lines`` lines. Imports, docstrings, Mage's decorator-import guard and
        lines of Mage's own block templates are left out: every block has them.

    Why it matters:
        A loader copied into ``load_orders_1``, ``load_orders_2`` and ``load_orders_3`` must be
        fixed three times, and sooner or later one copy is forgotten. The guide asks for shared
        code in ``utils/`` helpers that blocks import.

    Example:
        Four loaders with the same 150-line API client and paging loop, differing only in the
        endpoint.

    Fix:
        Move the shared code into a function in the project's ``utils/`` folder (or a custom
        block) and call it from each block with the part that differs as an argument.

    Options:
        ``min_statements``: the shortest run of consecutive statements counted as a copy.
        ``min_lines``: a cluster is reported when its largest member has this many copied lines.
    """

    id = "MAGE-BLK-014"
    name = "copy-pasted-code"
    title = "Copy-pasted code across blocks"
    category = "blocks"
    severity = "low"
    thresholds = (
        Threshold("min_statements", 6, "shortest run of consecutive statements that counts as a copy", "integer >= 2"),
        Threshold("min_lines", 10, "copied lines the largest member of a cluster must have", "integer >= 1"),
    )
    practices = ("BP-BLOCK-REUSABILITY",)

    def check(self):
        files = {}
        for row in logic_files(self.ctx.inventory):
            family = _FAMILIES.get(row.get("language"))
            if family and isinstance(row.get("clones"), dict):
                files[(row["project"], row["path"])] = row
        window = max(2, int(self.option("min_statements")))
        clusters = find_clone_clusters(((key, _FAMILIES[row["language"]], row["clones"])
                                        for key, row in files.items()), window)
        for members in clusters:
            if max(member.lines for member in members) < int(self.option("min_lines")):
                continue
            yield self._cluster_finding([(files[member.key], member) for member in members])

    def _cluster_finding(self, members: list[tuple[dict, CloneMember]]):
        first_row, first = members[0]
        places = [f"{row['path']} ({_ranges_text(member.ranges)})" for row, member in members]
        copied = max(member.lines for _, member in members)
        names = short_list([row.get("block") for row, _ in members])
        return self.finding(
            f"{plural(len(members), 'block file')} share copied code (up to {copied} lines each): {names}",
            key="|".join(sorted(row["path"] for row, _ in members)), line=first.first_line,
            evidence="; ".join(places), members=[row["path"] for row, _ in members],
            copied_lines=copied, **file_place(first_row))


def _ranges_text(ranges: tuple[tuple[int, int], ...]) -> str:
    return "lines " + ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges)


@register
class ComplexFunction(Rule):
    """A block has a function with too many paths through it.

    What it checks:
        The cyclomatic complexity (radon's score: 1 plus one per ``if``, loop, ``except``,
        boolean operator, comprehension condition, ...) of each function and method in the
        Python block files pipelines run. A file is reported once when its most complex function
        scores more than ``max_complexity``, naming its worst functions with their scores.

    Why it matters:
        A function with dozens of branches cannot be tested path by path and is where bugs hide
        when the data changes shape. The guide asks for blocks with a single responsibility.

    Example:
        ``def transform(df, *args, **kwargs)`` with 30 nested ``if``/``elif`` branches over
        column names and record types (complexity 31).

    Fix:
        Split the function: move each branch family into a named helper (or a ``utils/``
        function), replace ``if``/``elif`` ladders by a lookup table, and test the helpers.

    Options:
        ``max_complexity``: the highest complexity a function may have (functions are named
        from complexity 6, radon's rank B).
    """

    id = "MAGE-BLK-015"
    name = "complex-function"
    title = "Function too complex"
    category = "blocks"
    severity = "low"
    thresholds = (Threshold("max_complexity", 15, "highest cyclomatic complexity a block function may have",
                            "integer >= 1"),)
    practices = ("BP-BLOCK-SINGLE-RESPONSIBILITY",)
    off_by_default = ("too few findings on real repos to trust it yet: at the default 15, 2 findings (both "
                      "real); at 10, 9 findings of which 4 real, the rest flat column guards and "
                      "comprehension filters that read easily despite their score")

    def check(self):
        limit = self.option("max_complexity")
        for row in logic_files(self.ctx.inventory):
            worst = row.get("complexity_max")
            if row.get("language") != "python" or not isinstance(worst, (int, float)) or worst <= limit:
                continue
            named = [f for f in (row.get("complex_functions") or []) if f[2] > limit]
            names = short_list(f"{name} ({score})" for name, _, score in named) or f"complexity {int(worst)}"
            yield self.finding(
                f"{row['block_type']} '{row.get('block')}' has {plural(max(1, len(named)), 'function')} "
                f"above complexity {limit}: {names}",
                line=named[0][1] if named else None, evidence=names, **file_place(row))
