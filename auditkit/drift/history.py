"""Run history side by side: failure rates and durations per pipeline per environment.

Each environment may carry its own history (``--history ENV=URL`` or ``--mage-data ENV=DIR``);
it is opened read-only exactly as ``auditkit check`` opens one, and summarised with
:func:`auditkit.analytics.runs.run_health`.
"""
from __future__ import annotations

import pandas as pd

from auditkit.analytics.runs import run_health
from auditkit.drift.envs import EnvSpec
from auditkit.drift.frames import empty
from auditkit.model import InputProblem
from auditkit.readers.history import open_history

HISTORY_COLUMNS = ["env", "pipeline", "runs", "completed", "failed", "failure_rate", "duration_p50_s",
                   "duration_p95_s"]


def history_side_by_side(envs: list[EnvSpec], since=None, until=None) -> tuple[pd.DataFrame, list[InputProblem]]:
    """One row per environment with a history and pipeline that ran there; and the problems met."""
    frames, problems = [], []
    for env in envs:
        if not (env.history or env.mage_data):
            continue
        history = open_history(env.history, mage_data=env.mage_data, since=since, until=until)
        problems.extend(InputProblem(p.path, p.kind, f"{env.name}: {p.reason}", p.project)
                        for p in history.problems)
        if not history.available:
            continue
        health = run_health(history)
        if health.empty:
            continue
        frame = health.assign(env=env.name)
        for column in HISTORY_COLUMNS:
            if column not in frame:
                frame[column] = None
        frames.append(frame[HISTORY_COLUMNS])
    if not frames:
        return empty(HISTORY_COLUMNS), problems
    return pd.concat(frames, ignore_index=True), problems
