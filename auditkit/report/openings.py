"""Each section opens with two to four sentences generated from the data: what was found, with
the worst case named. ``opening_for(slug, audit)`` returns them as an :class:`Html` block.

The sentences read the audit and the analytics the section shows (history analytics are
memoised on the audit's history, so nothing is computed twice).
"""
from __future__ import annotations

from typing import Any, Callable

from auditkit.limits import audit_limits
from auditkit.report.section import Html, history_view, opening


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (plural or word + 's')}"


def _pct(value: float) -> str:
    return f"{value:.0%}" if value >= 0.1 or value == 0 else f"{value:.1%}"


def summary(audit: Any) -> list[str]:
    inv, fnd = audit.summary["inventory"], audit.summary["findings"]
    sev = fnd["by_severity"]
    out = [f"The audit read {_n(inv.get('pipelines', 0), 'pipeline')} in {_n(inv.get('projects', 0), 'project')} "
           f"with {_n(inv.get('block_files', 0), 'block file')} and found {_n(fnd['total'], 'finding')} that count: "
           f"{sev.get('critical', 0)} critical, {sev.get('high', 0)} high, {sev.get('medium', 0)} medium, "
           f"{sev.get('low', 0)} low and {sev.get('info', 0)} info."]
    if fnd["by_category"]:
        worst = max(fnd["by_category"].items(), key=lambda kv: kv[1])
        out.append(f"Most findings are about {worst[0]} ({worst[1]}).")
    if fnd.get("waived"):
        out.append(f"{_n(fnd['waived'], 'finding')} {'is' if fnd['waived'] == 1 else 'are'} waived in auditkit.yaml.")
    if inv.get("input_problems"):
        out.append(f"{_n(inv['input_problems'], 'input')} could not be read; everything else was audited.")
    return out


def blocks(audit: Any) -> list[str]:
    from auditkit.analytics import blocks as B

    limits = audit_limits(audit)
    files = B.code_files(audit.inventory.block_files)
    if files.empty:
        return ["The repo holds no block files with code."]
    lines = files["lines_code"].astype(float)
    ideal = int(lines.between(*limits.block_ideal).sum())
    over = files[lines > limits.block_max]
    out = [f"Of {_n(len(files), 'block file')}, {ideal} ({_pct(ideal / len(files))}) are within the ideal "
           f"{limits.block_ideal_min}-{limits.block_ideal_max} lines of code and {len(over)} "
           f"{'is' if len(over) == 1 else 'are'} over the {limits.block_max}-line limit."]
    largest = files.loc[lines.idxmax()]
    out.append(f"The largest is {largest['path']} with {int(largest['lines_code']):,} lines.")
    py = files[files["language"] == "python"]
    if len(py):
        tests = float((py["n_tests"].fillna(0) > 0).mean())
        docs = float(py["has_docstring"].fillna(False).astype(bool).mean())
        out.append(f"{_pct(tests)} of Python blocks have a @test function and {_pct(docs)} a docstring.")
    return out


def pipelines(audit: Any) -> list[str]:
    limits = audit_limits(audit)
    pipes = audit.inventory.pipelines
    if pipes.empty:
        return ["The repo holds no pipelines."]
    n = pipes["n_blocks"].fillna(0)
    outside = int(((n < limits.pipeline_min_blocks) | (n > limits.pipeline_max_blocks)).sum())
    out = [f"{_n(len(pipes), 'pipeline')} hold {int(n.min())} to {int(n.max())} executable blocks "
           f"(median {n.median():.0f}); {outside} {'is' if outside == 1 else 'are'} outside the recommended "
           f"{limits.pipeline_min_blocks}-{limits.pipeline_max_blocks}."]
    deep = pipes.loc[pipes["depth"].fillna(0).idxmax()]
    wide = pipes.loc[pipes["max_width"].fillna(0).idxmax()]
    out.append(f"Deepest: {deep['pipeline']}, {int(deep['depth'] or 0)} levels (limit {limits.pipeline_max_depth}); "
               f"widest: {wide['pipeline']}, {int(wide['max_width'] or 0)} blocks on one level "
               f"(limit {limits.pipeline_max_width}).")
    cycles = int(pipes["has_cycle"].fillna(False).astype(bool).sum())
    dangling = int((pipes["n_dangling"].fillna(0) > 0).sum())
    out.append(f"{_n(cycles, 'pipeline')} {'has' if cycles == 1 else 'have'} a cycle and {dangling} "
               f"{'names' if dangling == 1 else 'name'} blocks that do not exist.")
    return out


def concurrency(audit: Any) -> list[str]:
    from auditkit.analytics import concurrency as C

    view = history_view(audit)
    overview = C.concurrency_overview(view.history if view.available else None, audit.inventory)
    if overview.empty:
        return ["There are no pipelines to judge."]
    unlimited = int(overview["effective_run_limit"].isna().sum()) if "effective_run_limit" in overview else 0
    if not view.available:
        return [f"No run history was given, so only the configuration is shown: {unlimited} of "
                f"{_n(len(overview), 'pipeline')} set no limit on runs at once."]
    over = overview[overview["over_limit"].fillna(False).astype(bool)]
    out = []
    if len(over):
        gap = over["peak_pipeline_runs"] - over["effective_run_limit"]
        worst = over.loc[gap.idxmax()]
        out.append(f"{len(over)} of {_n(len(overview), 'pipeline')} ran more runs at once than their limit; worst: "
                   f"{worst['pipeline']}, {int(worst['peak_pipeline_runs'])} against {int(worst['effective_run_limit'])}.")
    else:
        out.append(f"No pipeline ran more runs at once than its limit ({_n(len(overview), 'pipeline')} checked).")
    peak = overview.loc[overview["peak_pipeline_runs"].fillna(0).idxmax()]
    out.append(f"The highest peak was {int(peak['peak_pipeline_runs'] or 0)} runs at once ({peak['pipeline']}); "
               f"{unlimited} {'pipeline sets' if unlimited == 1 else 'pipelines set'} no run limit.")
    return out


def retries(audit: Any) -> list[str]:
    from auditkit.analytics import retries as R

    view = history_view(audit)
    config = R.effective_retry_config(audit.inventory)
    if config.empty:
        return ["There are no executable blocks to judge."]
    with_retries = int((config["retries"] > 0).sum())
    out = [f"{with_retries} of {_n(len(config), 'executable block')} ({_pct(with_retries / len(config))}) "
           f"have retries configured."]
    if view.available:
        overview = R.retry_overview(view.history, audit.inventory)
        if len(overview):
            events = overview["log_retries"].fillna(0) + overview["retried_block_runs"].fillna(0)
            top = overview.loc[events.idxmax()]
            flaky = int(overview["flaky"].fillna(False).astype(bool).sum())
            bare = int(overview["failed_without_retry"].fillna(False).astype(bool).sum())
            out.append(f"In the history {flaky} {'block was' if flaky == 1 else 'blocks were'} flaky; the most retried is "
                       f"{top['block']} in {top['pipeline']} ({int(events.max()):,} retries).")
            out.append(f"{bare} {'block' if bare == 1 else 'blocks'} failed with no retry configured.")
    return out


def backfills(audit: Any) -> list[str]:
    from auditkit.analytics import backfills as BF

    view = history_view(audit)
    if not view.available:
        return ["No run history was given, so there are no backfills to show."]
    fills = BF.backfill_inventory(view.history)
    if fills.empty:
        return ["The history holds no backfills."]
    failed = int((fills["status"] == "FAILED").sum())
    unlimited = int(fills["run_limit"].isna().sum())
    return [f"The history holds {_n(len(fills), 'backfill')} covering {int(fills['expected_runs'].fillna(0).sum()):,} "
            f"intervals; {failed} failed.",
            f"{unlimited} {'has' if unlimited == 1 else 'have'} no run limit, so {'it competes' if unlimited == 1 else 'they compete'} "
            f"with scheduled runs."]


def runs(audit: Any) -> list[str]:
    from auditkit.analytics import runs as RH

    view = history_view(audit)
    if not view.available:
        return ["No run history was given: this section shows the triggers in code only."]
    health = RH.run_health(view.history)
    if health.empty:
        return ["The history holds no pipeline runs."]
    total, failed = int(health["runs"].sum()), int(health["failed"].sum())
    finished = int(health["completed"].sum()) + failed
    out = [f"{total:,} pipeline runs in the window; {failed:,} failed "
           f"({_pct(failed / finished) if finished else '0%'} of finished runs)."]
    ranked = health[health["completed"] + health["failed"] > 0].sort_values("failure_rate", ascending=False)
    if len(ranked):
        worst = ranked.iloc[0]
        out.append(f"Worst: {worst['pipeline']}, {_pct(float(worst['failure_rate']))} of its runs failed "
                   f"({int(worst['failed'])} of {int(worst['completed'] + worst['failed'])}).")
    misses = int(health["sla_misses"].fillna(0).sum())
    if misses:
        out.append(f"{_n(misses, 'run')} missed {'its' if misses == 1 else 'their'} SLA.")
    out.extend(_upkeep(audit))
    return out


def _upkeep(audit: Any) -> list[str]:
    """The history's size and hygiene in one sentence each (issue 18)."""
    ops = audit.findings[audit.findings["rule_id"].isin(["MAGE-OPS-015", "MAGE-OPS-016"])] \
        if len(audit.findings) else audit.findings
    out = []
    if len(ops):
        hung = int((ops["rule_id"] == "MAGE-OPS-015").sum())
        stalls = int((ops["rule_id"] == "MAGE-OPS-016").sum())
        out.append(f"{_n(hung, 'pipeline')} with hung runs and {_n(stalls, 'scheduler stall')}.")
    volume = audit.summary.get("history_volume") or {}
    rows = volume.get("rows") or {}
    if rows:
        kept = int(rows.get("pipeline_run", 0)) + int(rows.get("block_run", 0))
        since = f" back to {volume['oldest_run'][:10]}" if volume.get("oldest_run") else ""
        purge = {True: "old rows have been purged", False: "nothing has purged them"}.get(volume.get("purged"), "")
        out.append(f"The database keeps {kept:,} pipeline and block runs{since}" + (f"; {purge}." if purge else "."))
    return out


def security(audit: Any) -> list[str]:
    s = audit.security.summary()
    out = [f"{_n(s.get('secrets', 0), 'secret')} {'is' if s.get('secrets', 0) == 1 else 'are'} committed in the current "
           f"files and {s.get('history_secrets', 0)} more only in git history; {_n(s.get('exposed_files', 0), 'file')} "
           f"should not be in git."]
    out.append(f"{_n(s.get('deployments', 0), 'Mage deployment')} found, {s.get('auth_off_deployments', 0)} with "
               f"authentication off; {_n(s.get('code_risks', 0), 'risky code spot')} in blocks.")
    if s.get("users"):
        out.append(f"{s.get('default_password_users', 0)} of {_n(s['users'], 'account')} still "
                   f"{'uses' if s.get('default_password_users', 0) == 1 else 'use'} Mage's default password.")
    return out


def deployment(audit: Any) -> list[str]:
    git = audit.git
    inv = audit.inventory
    literal = int((inv.io_config["value_kind"] == "literal").sum()) if len(inv.io_config) else 0
    profiles = inv.io_config["profile"].nunique() if len(inv.io_config) else 0
    out = [f"io_config.yaml has {_n(profiles, 'profile')}; {_n(literal, 'setting')} "
           f"{'is' if literal == 1 else 'are'} written into the file instead of coming from the environment."]
    if git is None:
        out.append("The repo is not a git repository, so branches, commits and tags are not judged.")
        return out
    summary = git.summary()
    share = summary.get("conventional_share")
    out.append(f"Git: {_n(summary.get('branches', 0), 'branch', 'branches')}, {_n(summary.get('commits', 0), 'commit')}"
               + (f" ({_pct(share)} with conventional messages)" if share is not None else "")
               + f", {_n(summary.get('tags', 0), 'tag')} and {_n(len(summary.get('ci_files') or []), 'CI file')}.")
    return out


def drift(result: Any) -> list[str]:
    """Sentences on a drift comparison (a :class:`auditkit.drift.result.DriftResult`)."""
    s = result.summary or {}
    states = s.get("pipeline_states", {})
    out = [f"{_n(s.get('pipelines', 0), 'pipeline')} compared across {', '.join(result.env_names)}; "
           f"production is {result.production}."]
    for env in result.env_names:
        if env != result.production and env in states:
            counts = states[env]
            out.append(f"{env}: {counts.get('same', 0)} the same as production, {counts.get('differs', 0)} "
                       f"different, {counts.get('absent', 0)} missing and {counts.get('new', 0)} not in production.")
    waiting = [p for p in s.get("promotion", []) if p.get("bypassed")]
    if waiting:
        worst = max(waiting, key=lambda p: p["bypassed"])
        out.append(f"{_n(worst['bypassed'], 'commit')} reached {worst['to_env']} without passing through "
                   f"{worst['from_env']}.")
    return out


OPENINGS: dict[str, Callable[[Any], list[str]]] = {
    "00_summary": summary, "10_blocks": blocks, "20_pipelines": pipelines, "30_concurrency": concurrency,
    "40_retries": retries, "50_backfills": backfills, "60_runs": runs, "70_security": security,
    "80_deployment": deployment, "90_drift": drift,
}


def opening_for(slug: str, audit: Any) -> Html:
    """The opening of section ``slug`` (e.g. ``30_concurrency``); empty when the data is unusable."""
    try:
        sentences = OPENINGS[slug](audit)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:   # never fail a section
        sentences = [f"(The opening could not be written from this data: {type(exc).__name__}.)"]
    return opening(sentences[:4])


__all__ = ["opening_for", "OPENINGS"]
