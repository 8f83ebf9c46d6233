"""Block-level views of a repo inventory: sizes, coverage, naming, organisation.

Pure pandas over ``RepoInventory`` frames; shared by the 10_blocks notebook, its plots and the
block rules, so the report and the findings use one definition of each measure.
"""
from __future__ import annotations

import pandas as pd

from auditkit import guide
from auditkit.limits import Limits

IDEAL_LINES = guide.BLOCK_IDEAL_LINES
MAX_LINES = guide.BLOCK_MAX_LINES

# The guide's naming conventions per block type: load_<source>_<entity>, transform_<action>_<entity>,
# export_<entity>_to_<destination>.
NAME_PREFIXES: dict[str, tuple[str, ...]] = {
    "data_loader": ("load_",),
    "transformer": ("transform_",),
    "data_exporter": ("export_",),
}

SIZE_BANDS = [
    (0, IDEAL_LINES[0] - 1, "under 50"),
    (IDEAL_LINES[0], IDEAL_LINES[1], "ideal 50-200"),
    (IDEAL_LINES[1] + 1, MAX_LINES, "201-500"),
    (MAX_LINES + 1, float("inf"), "over 500"),
]


def size_band(lines: float) -> str:
    """The guide's size band (e.g. ``ideal``) of a block of ``lines`` lines of code."""
    for low, high, label in SIZE_BANDS:
        if low <= lines <= high:
            return label
    return "unknown"


def block_name(uuid: str) -> str:
    """The leaf name of a block uuid (``api/load_stripe`` -> ``load_stripe``)."""
    return str(uuid).rsplit("/", 1)[-1]


def follows_naming(block_type: str, uuid: str) -> bool | None:
    """True/False for block types with a naming convention, None for the others."""
    prefixes = NAME_PREFIXES.get(block_type)
    if not prefixes:
        return None
    return block_name(uuid).startswith(prefixes)


def code_files(block_files: pd.DataFrame, limits: Limits | None = None) -> pd.DataFrame:
    """Block files that were read (not skipped) and hold code, with size band and naming columns
    (bands of ``limits``: the audit's configured limits; default the guide's)."""
    frame = block_files
    if "skipped" in frame:
        frame = frame[frame["skipped"].isna()]
    frame = frame[frame["language"].isin(["python", "sql", "r", "yaml"])].copy()
    frame["size_band"] = frame["lines_code"].map(limits.size_band if limits else size_band)
    frame["follows_naming"] = [follows_naming(t, u) for t, u in zip(frame["block_type"], frame["block"])]
    return frame


def size_band_counts(block_files: pd.DataFrame, limits: Limits | None = None) -> pd.DataFrame:
    """Number and share of block files per size band, in band order."""
    files = code_files(block_files, limits)
    order = [label for _, _, label in (limits.size_bands() if limits else SIZE_BANDS)]
    counts = files["size_band"].value_counts().reindex(order, fill_value=0)
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"band": order, "files": counts.values, "share": (counts.values / total).round(3)})


def largest_blocks(block_files: pd.DataFrame, n: int = 15) -> pd.DataFrame:
    """The ``n`` block files with the most lines of code: path, type, language, sizes, complexity,
    tests, docstring and how many pipelines use each."""
    files = code_files(block_files)
    cols = ["project", "path", "block_type", "language", "lines_code", "lines_total",
            "complexity_max", "n_tests", "has_docstring", "n_pipelines"]
    return files.nlargest(n, "lines_code")[[c for c in cols if c in files]].reset_index(drop=True)


def sizes_by_type(block_files: pd.DataFrame, limits: Limits | None = None) -> pd.DataFrame:
    """Per block type: files, median, 90th percentile and largest size, and files over the limit
    (column ``over_<max lines>``)."""
    top = limits.block_max if limits else MAX_LINES
    over = f"over_{top}"
    files = code_files(block_files)
    grouped = files.groupby("block_type")["lines_code"]
    out = grouped.agg(files="count", median="median", p90=lambda s: s.quantile(0.9), max="max")
    out[over] = files[files["lines_code"] > top].groupby("block_type").size()
    return out.fillna(0).astype({over: int}).sort_values("files", ascending=False).reset_index()


def block_sizes_by_pipeline(blocks: pd.DataFrame, block_files: pd.DataFrame) -> pd.DataFrame:
    """One row per (pipeline, block entry) with the lines of code of its file."""
    sizes = block_files[["path", "lines_code"]].dropna(subset=["path"]).drop_duplicates("path")
    joined = blocks.merge(sizes, on="path", how="inner")
    return joined[["project", "pipeline", "block", "block_type", "path", "lines_code"]]


def coverage_by_type(block_files: pd.DataFrame) -> pd.DataFrame:
    """Share of Python block files with at least one @test function and with a docstring."""
    files = code_files(block_files)
    files = files[files["language"] == "python"]
    if files.empty:
        return pd.DataFrame(columns=["block_type", "files", "with_tests", "with_docstring"])
    out = files.groupby("block_type").agg(
        files=("path", "count"),
        with_tests=("n_tests", lambda s: float((s > 0).mean())),
        with_docstring=("has_docstring", lambda s: float(s.astype(bool).mean())),
    )
    return out.round(3).reset_index()


def naming_by_type(block_files: pd.DataFrame) -> pd.DataFrame:
    """Per block type: files judged on the guide's name prefixes, how many follow them and how
    many break them (files of types without a convention are left out)."""
    files = code_files(block_files)
    files = files[files["follows_naming"].notna()]
    if files.empty:
        return pd.DataFrame(columns=["block_type", "files", "follow", "break"])
    out = files.groupby("block_type")["follows_naming"].agg(
        files="count", follow=lambda s: int(s.sum()), **{"break": lambda s: int((~s.astype(bool)).sum())})
    return out.reset_index()


def naming_violations(block_files: pd.DataFrame) -> pd.DataFrame:
    """The block files whose names break their type's prefix convention (``load_`` ...)."""
    files = code_files(block_files)
    bad = files[files["follows_naming"] == False]  # noqa: E712 (None means "no convention")
    return bad[["project", "path", "block_type", "block"]].reset_index(drop=True)


def subfolder_depths(block_files: pd.DataFrame) -> pd.DataFrame:
    """Block files per subfolder depth and block type (the guide: at most 1-2 levels)."""
    files = code_files(block_files)
    return (files.groupby(["subfolder_depth", "block_type"]).size().rename("files").reset_index())


def blocks_per_pipeline(pipelines: pd.DataFrame) -> pd.DataFrame:
    """Pipelines by number of blocks, largest first: project, pipeline, pipeline_type, n_blocks."""
    cols = ["project", "pipeline", "pipeline_type", "n_blocks"]
    return pipelines[cols].sort_values("n_blocks", ascending=False).reset_index(drop=True)


def headline(block_files: pd.DataFrame, limits: Limits | None = None) -> pd.DataFrame:
    """The headline measures of the blocks section as a two-column table for people."""
    limits = limits or Limits()
    t = coverage_totals(block_files, limits)
    rows = [
        ("block files with code", f"{t['block_files']}"),
        (f"in the ideal {limits.block_ideal_min}-{limits.block_ideal_max} lines band", f"{t['in_ideal_band']:.0%}"),
        (f"over {limits.block_max} lines", f"{t['over_max']}"),
        ("Python blocks with a @test function", f"{t['python_with_tests']:.0%}"),
        ("Python blocks with a docstring", f"{t['python_with_docstring']:.0%}"),
        ("orphan files (no pipeline uses them)", f"{t['orphans']}"),
    ]
    return pd.DataFrame(rows, columns=["measure", "value"])


def coverage_totals(block_files: pd.DataFrame, limits: Limits | None = None) -> dict:
    """Headline shares for the blocks section (``over_500``: the guide's limit; ``over_max``: the
    audit's)."""
    limits = limits or Limits()
    files = code_files(block_files)
    py = files[files["language"] == "python"]
    return {
        "block_files": int(len(files)),
        "in_ideal_band": float(files["lines_code"].between(*limits.block_ideal).mean()) if len(files) else 0.0,
        "over_500": int((files["lines_code"] > MAX_LINES).sum()),
        "over_max": int((files["lines_code"] > limits.block_max).sum()),
        "python_with_tests": float((py["n_tests"] > 0).mean()) if len(py) else 0.0,
        "python_with_docstring": float(py["has_docstring"].astype(bool).mean()) if len(py) else 0.0,
        "orphans": int((~block_files["referenced"].astype(bool)).sum()) if "referenced" in block_files else 0,
    }
