"""Exact interval sweeps: peak concurrency and per-bucket timelines, in memory or streamed.

An interval ``[start, end)`` holds a slot from its start up to, not including, its end: at
equal times ends come before starts, so back-to-back runs do not overlap and a zero-length
interval never counts. Times are integers (epoch microseconds, carried in float64, which is
exact below 2**53, i.e. before the year 2255), so ties are ties and nothing rounds.

:class:`StreamSweep` gives the same peaks as :func:`peak_concurrency` without holding all
intervals: they arrive in pipeline-run order (the order of an index, so the DB needs no sort),
grouped by run, with each run's creation time. Block runs start after their pipeline run was
created, and runs are created in id order, so everything earlier than the newest creation time
seen minus a slack is settled and swept; only the intervals after it wait in memory. Should a
start arrive before that point anyway (clock skew, rows written out of order) the pass is
invalid, :attr:`StreamSweep.needed_slack` says which slack would have worked, and the caller
streams again with it, so the result is exact either way.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DEFAULT_SLACK_US = 6 * 3600 * 1_000_000       # block runs starting up to 6 h before the newest run


def peak_concurrency(starts: np.ndarray, ends: np.ndarray) -> int:
    """Most intervals open at once. At a start, the open count is the starts so far minus the
    ends at or before it (an end at the same instant frees its slot first). Two sorts and a
    binary search: far less memory than sorting 2n tagged events."""
    if len(starts) == 0:
        return 0
    starts, ends = np.sort(starts), np.sort(ends)
    open_now = np.arange(1, len(starts) + 1) - np.searchsorted(ends, starts, side="right")
    return int(open_now.max())


def open_at_starts(spans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start times sorted, intervals open at each of them) for spans (n, 2); equal starts all
    get the count after the last of them."""
    starts, ends = np.sort(spans[:, 0]), np.sort(spans[:, 1])
    last_equal = np.searchsorted(starts, starts, side="right")
    return starts, last_equal - np.searchsorted(ends, starts, side="right")


def bucket_peaks(spans: np.ndarray, bucket: float) -> tuple[np.ndarray, np.ndarray]:
    """(bucket starts, most intervals open at a start inside each bucket) for one set of
    spans; ``bucket`` in the unit of the times."""
    if len(spans) == 0:
        return np.empty(0), np.empty(0, np.int64)
    starts, running = open_at_starts(spans)
    buckets = np.floor(starts / bucket) * bucket
    edges = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    return buckets[edges], np.maximum.reduceat(running, edges)


@dataclass
class StreamSweep:
    """Peak concurrency per group (pipeline code) and over all groups, fed in chunks.

    ``feed(codes, starts, ends, created)``: one chunk of intervals (group code, start, end)
    and the creation times of the runs they belong to. ``finish()`` sweeps what is left and
    returns ``valid``; when False, stream again with ``slack=needed_slack``."""

    groups: int
    slack: float = DEFAULT_SLACK_US
    bucket: float | None = None                       # also keep the most open per group and bucket
    peaks: np.ndarray = field(init=False)
    seen: np.ndarray = field(init=False)
    overall: int = field(init=False, default=0)
    valid: bool = field(init=False, default=True)
    needed_slack: float = field(init=False, default=0.0)
    pending_max: int = field(init=False, default=0)     # most intervals held at once (memory)

    def __post_init__(self) -> None:
        self.peaks = np.zeros(self.groups, np.int64)
        self.seen = np.zeros(self.groups, bool)
        self._open = np.zeros(self.groups, np.int64)
        self._open_all = 0
        self._settled = -np.inf                      # every event before this time is swept
        self._newest = -np.inf
        # Pending intervals' starts and ends (times and group codes), not yet swept.
        self._starts, self._start_codes = np.empty(0), np.empty(0, np.int64)
        self._ends, self._end_codes = np.empty(0), np.empty(0, np.int64)
        self._timeline: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def feed(self, codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, created: np.ndarray) -> None:
        known = created[np.isfinite(created)] if len(created) else created
        if len(known):
            self._newest = max(self._newest, float(np.max(known)))
        if len(starts):
            earliest = float(np.min(starts))
            self.needed_slack = max(self.needed_slack, self._newest - earliest)
            if earliest < self._settled:
                self.valid = False
            codes = np.asarray(codes, np.int64)
            self._starts, self._start_codes = np.concatenate([self._starts, starts]), \
                np.concatenate([self._start_codes, codes])
            self._ends, self._end_codes = np.concatenate([self._ends, ends]), np.concatenate([self._end_codes, codes])
            self.pending_max = max(self.pending_max, len(self._starts))
        self._settle(self._newest - self.slack)

    def finish(self) -> bool:
        self._settle(np.inf)
        return self.valid

    def timeline(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(group codes, bucket starts, most open at a start in that bucket), sorted."""
        if not self._timeline:
            return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
        codes, buckets, running = (np.concatenate(parts) for parts in zip(*self._timeline))
        order = np.lexsort((buckets, codes))
        codes, buckets, running = codes[order], buckets[order], running[order]
        edges = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (buckets[1:] != buckets[:-1])])
        return codes[edges], buckets[edges], np.maximum.reduceat(running, edges)

    def peak_of(self) -> dict[int, int]:
        """Group code -> peak, for the groups that had at least one interval."""
        return {int(c): int(self.peaks[c]) for c in np.flatnonzero(self.seen)}

    def _settle(self, until: float) -> None:
        """Sweep the pending starts and ends before ``until`` (all of them for +inf)."""
        self._settled = max(self._settled, until)
        starts, start_codes = self._take("_starts", "_start_codes", until)
        ends, end_codes = self._take("_ends", "_end_codes", until)
        if not len(starts) and not len(ends):
            return
        self._open_all, best, _ = _sweep(starts, ends, self._open_all)
        self.overall = max(self.overall, best)
        for code, group_starts, group_ends in _by_group(starts, start_codes, ends, end_codes):
            self._open[code], best, running = _sweep(group_starts, group_ends, int(self._open[code]))
            if len(group_starts):
                self.peaks[code] = max(self.peaks[code], best)
                self.seen[code] = True
                if self.bucket is not None:
                    self._timeline.append(_bucket_max(code, *running, self.bucket))

    def _take(self, times_name: str, codes_name: str, until: float) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return the pending times (and codes) before ``until``."""
        times, codes = getattr(self, times_name), getattr(self, codes_name)
        ready = times < until
        if ready.all():
            setattr(self, times_name, np.empty(0))
            setattr(self, codes_name, np.empty(0, np.int64))
            return times, codes
        setattr(self, times_name, times[~ready])
        setattr(self, codes_name, codes[~ready])
        return times[ready], codes[ready]


def _sweep(starts: np.ndarray, ends: np.ndarray, open_before: int) -> tuple[int, int, tuple]:
    """Sweep one batch (every event before some time). Returns (open after, most open at a
    start or -1, (sorted starts, open at each)). The open count at a start is those open
    before the batch plus the batch's starts so far minus its ends at or before it."""
    open_after = open_before + len(starts) - len(ends)
    if not len(starts):
        return open_after, -1, (starts, np.empty(0, np.int64))
    starts, ends = np.sort(starts), np.sort(ends)
    # Equal starts get increasing counts; the last of them (which counts all) sets the max.
    running = open_before + np.arange(1, len(starts) + 1) - np.searchsorted(ends, starts, side="right")
    return open_after, int(running.max()), (starts, running)


def _by_group(starts, start_codes, ends, end_codes):
    """(code, its starts, its ends) for every code present, each in arrival order."""
    small = np.int16 if max(start_codes.max(initial=0), end_codes.max(initial=0)) < 2 ** 15 else np.int64
    start_order = np.argsort(start_codes.astype(small), kind="stable")      # radix sort for int16
    end_order = np.argsort(end_codes.astype(small), kind="stable")
    codes = np.flatnonzero(np.bincount(np.concatenate([start_codes, end_codes])))
    start_bounds = np.searchsorted(start_codes[start_order], codes, side="left"), \
        np.searchsorted(start_codes[start_order], codes, side="right")
    end_bounds = np.searchsorted(end_codes[end_order], codes, side="left"), \
        np.searchsorted(end_codes[end_order], codes, side="right")
    for i, code in enumerate(codes.tolist()):
        yield (code, starts[start_order[start_bounds[0][i]:start_bounds[1][i]]],
               ends[end_order[end_bounds[0][i]:end_bounds[1][i]]])


def _bucket_max(code: int, starts: np.ndarray, running: np.ndarray, bucket: float):
    buckets = np.floor(starts / bucket) * bucket
    edges = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
    return np.full(len(edges), code, np.int64), buckets[edges], np.maximum.reduceat(running, edges)
