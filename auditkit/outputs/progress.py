"""Progress bars for the reading of a big repo (tqdm, on stderr).

Shown only when stderr is a terminal and a stage has enough items to take a while: cron and
CI logs, and small repos, get no bars. The readers only call ``progress(stage, done, total)``
(see :func:`auditkit.readers.repo.read_repo`); drawing is this module's business.
"""
from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm

MIN_ITEMS = 200          # fewer pipelines or files read in a second or two: no bar
UNITS = {"pipelines": "pipeline", "block files": "file"}


class ProgressBars:
    """A callable ``(stage, done, total)`` drawing one bar per stage; use as a context manager."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < MIN_ITEMS:
            return
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=f"reading {stage}", unit=UNITS.get(stage, "item"),
                                          file=self.stream, leave=False)
        bar.update(max(0, min(done, total) - bar.n))

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()

    def __enter__(self) -> "ProgressBars":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
