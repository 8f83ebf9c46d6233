"""Columns of the environment-drift frames (``drift = open_drift(...)``, ``auditkit drift``).
Comparison frames hold only what differs, one row per key and environment."""
from __future__ import annotations

from auditkit.columns.frames import frame

_D = "drift"
_ENV = {"env": ("string", "environment name (dev, staging, prod, ...)")}
_STEP = {"from_env": ("string", "the earlier environment of a promotion step"),
         "to_env": ("string", "the later environment")}
_VALUE = {**_ENV, "value": ("string", "the value there, redacted text or `absent` (never a secret)")}
_KIND = {**_ENV, "value_kind": ("string", "what kind of value it is there (as io_config.value_kind), or absent")}
_COMMIT = {"sha": ("string", "commit sha"), "date": ("datetime", "commit date (UTC)"),
           "subject": ("string", "first line of the message")}


def drift_frames(findings_columns: dict) -> tuple:
    """The drift frames; ``findings`` has the columns of ``audit.findings``."""
    return (
        frame("drift.envs", _D, "environment, in promotion order",
              "env spec kind ref commit folder mage_env role order pipelines files history", {
                  **_ENV, "spec": ("string", "the environment as given (NAME[:MAGE_ENV]=REF_OR_FOLDER)"),
                  "kind": ("string", "git or folder"), "ref": ("string", "git ref read"),
                  "commit": ("string", "commit the ref pointed at"), "folder": ("string", "folder read"),
                  "mage_env": ("string", "the ENV Mage runs with there"),
                  "role": ("string", "production, pre-production or earlier"),
                  "order": ("int", "position in the promotion order"), "pipelines": ("int", "pipelines read"),
                  "files": ("int", "files read"), "history": ("string", "run history read, else None")}),
        frame("drift.pipelines", _D, "pipeline and environment",
              "project pipeline env present state differs_in path n_blocks", {
                  **_ENV, "present": ("bool", "the pipeline exists there"),
                  "state": ("string", "against production: reference, same, differs, new or absent"),
                  "differs_in": ("string", "what differs (settings, blocks, code, triggers), empty when nothing"),
                  "path": ("string", "its metadata.yaml")}),
        frame("drift.renames", _D, "pipeline that looks renamed between two environments",
              "project from_env from_pipeline to_env to_pipeline similarity", {
                  "from_env": ("string", "one environment"), "from_pipeline": ("string", "its name there"),
                  "to_env": ("string", "the other"), "to_pipeline": ("string", "its name there"),
                  "similarity": ("float", "share of blocks and code in common (0..1)")}),
        frame("drift.pipeline_settings", _D, "pipeline setting that differs, per environment",
              "project pipeline field env value", {**_VALUE, "field": ("string", "metadata.yaml setting")}),
        frame("drift.blocks", _D, "block or edge that differs, per environment", "project pipeline kind item env state", {
            **_ENV, "kind": ("string", "block or edge"), "item": ("string", "the block uuid or `upstream -> downstream`"),
            "state": ("string", "present or absent")}),
        frame("drift.code", _D, "file whose content differs between two environments",
              "project path from_env to_env change lines_added lines_removed pipelines", {
                  **_STEP, "change": ("string", "only in <from_env> (waiting), only in <to_env> (e.g. a hotfix) or modified"),
                  "lines_added": ("Int64", "lines of from_env's version that to_env's lacks (difflib)"),
                  "lines_removed": ("Int64", "the reverse"), "pipelines": ("string", "pipelines using the file (five named at most)")}),
        frame("drift.triggers", _D, "trigger setting that differs, per environment",
              "project pipeline trigger field env value", {
                  **_VALUE, "trigger": ("string", "trigger name"), "field": ("string", "triggers.yaml setting")}),
        frame("drift.trigger_reach", _D, "trigger and environment holding it",
              "project pipeline trigger path line env mage_env status envs valid fires reason never_fires", {
                  **_ENV, "trigger": ("string", "trigger name"), "path": ("string", "its triggers.yaml"),
                  "mage_env": ("string", "the ENV Mage runs with there"), "status": ("string", "active or inactive"),
                  "envs": ("list", "the trigger's envs list"), "valid": ("bool", "Mage would accept it"),
                  "fires": ("bool", "Mage creates and runs it there"), "reason": ("string", "why it does not fire"),
                  "never_fires": ("bool", "it fires in no environment")}),
        frame("drift.io_config", _D, "io_config key that differs, per environment", "project path profile key env value_kind", {
            **_KIND, "profile": ("string", "io_config profile"), "key": ("string", "setting name, dotted")}),
        frame("drift.project_settings", _D, "project setting that differs, per environment", "project path key env value", {
            **_VALUE, "path": ("string", "the metadata.yaml or settings.yaml"), "key": ("string", "setting, dotted")}),
        frame("drift.requirements", _D, "requirement that differs, per environment", "path package env spec", {
            **_ENV, "path": ("string", "the requirements file"), "package": ("string", "package name"),
            "spec": ("string", "its version specifier there, or absent")}),
        frame("drift.dbt_profiles", _D, "dbt profile key that differs, per environment",
              "path profile target key env value_kind", {
                  **_KIND, "path": ("string", "the profiles.yml"), "profile": ("string", "dbt profile"),
                  "target": ("string", "dbt target"), "key": ("string", "setting name")}),
        frame("drift.promotion", _D, "promotion step (earlier -> later environment)", (
            "from_env to_env status waiting oldest_waiting_at bypassed from_commit to_commit from_date to_date"), {
            **_STEP, "status": ("string", "compared, or why not (a folder has no commit history)"),
            "waiting": ("int", "commits in the earlier environment not yet in the later one"),
            "oldest_waiting_at": ("datetime", "date of the oldest waiting commit"),
            "bypassed": ("int", "commits in the later environment that never passed the earlier one"),
            "from_commit": ("string", "commit of the earlier environment"), "to_commit": ("string", "of the later"),
            "from_date": ("datetime", "its date"), "to_date": ("datetime", "the later one's date")}),
        frame("drift.promotion_commits", _D, "waiting or bypassed commit of a step",
              "from_env to_env category sha date subject", {
                  **_STEP, **_COMMIT, "category": ("string", "waiting or bypassed")}),
        frame("drift.bypassed_files", _D, "file touched by a bypassed commit", "from_env to_env path sha", {
            **_STEP, "sha": ("string", "the bypassed commit")}),
        frame("drift.timeline", _D, "commit on an environment's first-parent line", "env order sha date kind subject", {
            **_ENV, **_COMMIT, "order": ("int", "the environment's position in the promotion order"),
            "kind": ("string", "commit, merge, promotion from <env>, direct commit or arrived with <env>")}),
        frame("drift.history", _D, "pipeline and environment with a run history",
              "env pipeline runs completed failed failure_rate duration_p50_s duration_p95_s", {
                  **_ENV, "failure_rate": ("float", "failed / (completed + failed)"),
                  "duration_p50_s": ("float", "median duration of COMPLETED runs, seconds"),
                  "duration_p95_s": ("float", "95th percentile duration, seconds")}),
        frame("drift.findings", _D, "finding of a drift rule (as audit.findings)", " ".join(findings_columns),
              {k: v for k, v in findings_columns.items()}),
        frame("drift.input_problems", _D, "input that could not be read", "path kind reason project"),
    )
