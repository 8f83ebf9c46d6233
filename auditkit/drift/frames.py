"""Small frame helpers shared by the drift comparisons."""
from __future__ import annotations

import pandas as pd

ABSENT = "absent"


def column_rows(frame: pd.DataFrame, *names: str):
    """The rows of ``frame``'s columns ``names`` as tuples (plain lists: much faster than itertuples)."""
    return zip(*(frame[name].tolist() for name in names))


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def differing(long: pd.DataFrame, keys: list[str], value: str, envs: list[str],
              scope: pd.DataFrame | None = None, scope_keys: list[str] | None = None) -> pd.DataFrame:
    """The rows (``keys``, ``env``, ``value``) of the keys whose value is not the same in every
    environment.

    ``long`` holds one row per key and environment where the key exists. A key missing from an
    environment counts as :data:`ABSENT` there, unless ``scope`` says the thing it belongs to is
    missing too: ``scope`` lists (``scope_keys``, ``env``) pairs that exist (e.g. the pipelines
    of each environment, for a pipeline's settings); outside them an environment is not compared.
    ``scope_keys`` must be the first entries of ``keys``, in the same order.
    """
    columns = [*keys, "env", value]
    if long is None or long.empty:
        return empty(columns)
    wide = long.groupby([*keys, "env"], sort=False)[value].first().unstack("env")
    wide = wide.reindex(columns=envs).astype(object)
    wide = wide.where(wide.notna(), ABSENT)
    if scope is not None and scope_keys:
        inside = (scope.assign(_in=True).groupby([*scope_keys, "env"])["_in"].any()
                  .unstack("env", fill_value=False).reindex(columns=envs, fill_value=False))
        outer = wide.index if len(keys) == len(scope_keys) else wide.index.droplevel(
            [k for k in keys if k not in scope_keys])
        mask = inside.reindex(outer, fill_value=False).to_numpy(dtype=bool)
        wide = wide.where(mask)
    first = wide.bfill(axis=1).iloc[:, 0]          # each key's first value in scope
    changed = wide[(wide.ne(first, axis=0) & wide.notna()).any(axis=1)]
    if changed.empty:
        return empty(columns)
    out = changed.reset_index().melt(id_vars=keys, var_name="env", value_name=value)
    out = out[out[value].notna()]
    order = {e: i for i, e in enumerate(envs)}
    out = out.assign(_o=out["env"].map(order)).sort_values([*keys, "_o"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)[columns]
