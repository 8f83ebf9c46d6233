"""The columns of every public frame, in one place: name, dtype and a one-line meaning.

``docs/columns.md`` is generated from here (``auditkit columns --format md``, ``make docs``), and
``tests/test_columns.py`` builds the demo audit's frames and fails when a column is missing here
or documented but gone.

One vocabulary across frames: A column naming a project, pipeline, block or trigger is called
``project``, ``pipeline``, ``block`` or ``trigger``, never after Mage's storage
(``pipeline_uuid``, ``uuid``, ``block_uuid``, ``block_run``); a row's own display name is ``name``
and database ids are ``<thing>_id``. A kind is qualified by what it is the kind of
(``block_type``, ``pipeline_type``, ``commit_type``, never a bare ``type``), so frames merge
without clashes. Frames marked *raw* mirror Mage's database tables and keep its column names.
"""
from __future__ import annotations

from dataclasses import dataclass

from auditkit.columns.analytics import ANALYTICS_FRAMES
from auditkit.columns.drift import drift_frames
from auditkit.columns.frames import Frame
from auditkit.columns.repo import REPO_FRAMES
from auditkit.columns.security import SECURITY_FRAMES

_FINDINGS = next(f for f in REPO_FRAMES if f.name == "audit.findings").columns
FRAMES: tuple[Frame, ...] = REPO_FRAMES + ANALYTICS_FRAMES + SECURITY_FRAMES + drift_frames(_FINDINGS)
GROUPS = ("repository", "findings", "history", "analytics", "security", "git", "drift", "raw history")


@dataclass(frozen=True)
class Undocumented:
    """A difference between a frame and its documentation."""

    frame: str
    column: str
    problem: str     # "undocumented" or "documented but gone"


def frame_named(name: str) -> Frame:
    """The documentation of the frame reached as ``name`` (e.g. ``audit.inventory.blocks``)."""
    for frame in FRAMES:
        if frame.name == name:
            return frame
    raise KeyError(name)


def compare(name: str, columns) -> list[Undocumented]:
    """How the real ``columns`` of frame ``name`` differ from its documentation."""
    frame = frame_named(name)
    real = [str(c) for c in columns]
    out = [Undocumented(name, c, "undocumented") for c in real if frame.meaning(c) is None]
    out += [Undocumented(name, c, "documented but gone") for c in frame.columns
            if not any(frame.matches(c, r) for r in real)]
    return out


def render_markdown() -> str:
    """docs/columns.md: the vocabulary, then every frame's columns grouped by where they come from."""
    from auditkit.readers.code_facts.table import FACTS

    lines = ["# Columns of the public frames", "",
             "Generated from `auditkit/columns/` by `auditkit columns --format md` (`make docs`); do not edit.",
             "", "**One vocabulary.** " + __doc__.split("One vocabulary across frames: ", 1)[1]
             .split("\n\n", 1)[0].replace("\n", " ").replace("``", "`").strip(), "",
             ("**Dtypes.** `string` text (object or pandas string), `int`, `Int64` (nullable integer: "
              "blanks stay blank, 3 never shows as 3.0), `float`, `bool`, `datetime` (naive UTC unless "
              "marked tz-aware), `timedelta`, `category` (ordered), `list`, `dict`, `object` (mixed)."), ""]
    for group in GROUPS:
        frames = [f for f in FRAMES if f.group == group]
        if not frames:
            continue
        lines += [f"## {group[0].upper()}{group[1:]}", ""]
        for frame in frames:
            lines += frame.markdown()
        if group == "repository":
            lines += ["### The facts of `code_facts`", "",
                      "| fact | found when |", "|---|---|"]
            lines += [f"| `{fact}` | {meaning} |" for fact, meaning in FACTS.items()]
            lines.append("")
    total = sum(len(f.columns) for f in FRAMES)
    lines += [f"{len(FRAMES)} frames, {total} columns.", ""]
    return "\n".join(lines)


__all__ = ["FRAMES", "Frame", "compare", "frame_named", "render_markdown"]
