"""Columns of the repository frames (``audit.inventory``), the findings and the git frames."""
from __future__ import annotations

from auditkit.columns.frames import frame

_INV = "repository"
_GRAPH = {
    "depth": ("Int64", "levels of the longest dependency chain"),
    "max_width": ("Int64", "blocks on the widest level (parallel branches)"),
    "n_edges": ("int", "upstream -> downstream links"),
    "n_roots": ("int", "blocks with no upstream"),
    "n_leaves": ("int", "blocks with no downstream"),
    "has_cycle": ("bool", "the dependencies form a cycle"),
    "cycle": ("list", "the blocks of one cycle, in order"),
    "n_dangling": ("int", "dependencies naming a block the pipeline does not have"),
}

REPO_FRAMES = (
    frame("audit.inventory.projects", _INV, "Mage project", (
        "project path project_type platform_parent has_metadata has_io_config metadata retry_config "
        "queue_config notification_config variables_dir n_pipelines metadata_text python_tags sub_projects "
        "global_data_products"), {
        "path": ("string", "the project folder, repo-relative (`.` for the root)"),
        "project_type": ("string", "metadata.yaml `project_type` (standalone, main, sub)"),
        "platform_parent": ("bool", "the folder holds a settings.yaml (a multi-project platform)"),
        "has_metadata": ("bool", "the project has a metadata.yaml"),
        "has_io_config": ("bool", "the project has an io_config.yaml"),
        "metadata": ("dict", "metadata.yaml parsed, Jinja kept as text, secret-looking literals redacted"),
        "queue_config": ("dict", "metadata.yaml `queue_config` (concurrency of the local queue)"),
        "notification_config": ("dict", "metadata.yaml `notification_config`"),
        "variables_dir": ("string", "metadata.yaml `variables_dir`"),
        "n_pipelines": ("int", "pipelines of the project"),
        "metadata_text": ("string", "metadata.yaml as text, secret-looking literals masked"),
        "sub_projects": ("list", "settings.yaml project entries, repo-relative"),
        "global_data_products": ("list", "uuids defined in global_data_products.yaml (None without it)"),
    }),
    frame("audit.inventory.io_config", _INV, "leaf of a profile in io_config.yaml",
          "project path profile key value_kind fingerprint target_scope line", {
              "profile": ("string", "io_config profile (default, dev, prod, ...)"),
              "key": ("string", "setting name, dotted when nested"),
              "value_kind": ("string", ("env_var, mage_secret_var, aws/azure_secret_var, jinja_other, placeholder, "
                                        "literal, empty, number or bool (never the value)")),
              "fingerprint": ("string", "short hash of a literal value, else None"),
              "target_scope": ("string", "for host-like literals: local (this machine, a compose service) or remote"),
          }),
    frame("audit.inventory.pipelines", _INV, "pipeline folder with a metadata.yaml", (
        "project pipeline uuid_in_yaml name pipeline_type path description tags n_blocks n_entries executor_type "
        "executor_count run_pipeline_in_one_process concurrency_config retry_config notification_config "
        "cache_block_output_in_memory settings has_triggers_yaml depth max_width n_edges n_roots n_leaves "
        "has_cycle cycle n_dangling readable python_tags"), {
        "uuid_in_yaml": ("string", "`uuid` written in metadata.yaml (may differ from the folder)"),
        "path": ("string", "the pipeline's metadata.yaml"),
        "description": ("string", "metadata.yaml `description`"),
        "tags": ("list", "metadata.yaml `tags`"),
        "n_entries": ("int", "entries of every section (blocks, callbacks, conditionals, widgets, extensions)"),
        "executor_count": ("Int64", "metadata.yaml `executor_count`"),
        "run_pipeline_in_one_process": ("bool", "the whole pipeline runs in one process (None when absent)"),
        "concurrency_config": ("dict", "metadata.yaml `concurrency_config`, or None"),
        "notification_config": ("dict", "metadata.yaml `notification_config`, or None"),
        "cache_block_output_in_memory": ("bool", "metadata.yaml `cache_block_output_in_memory`"),
        "has_triggers_yaml": ("bool", "the folder has a triggers.yaml"),
        "readable": ("bool", "metadata.yaml could be parsed"),
        **_GRAPH,
    }),
    frame("audit.inventory.blocks", _INV, "block entry of a pipeline's metadata.yaml (every section)", (
        "project pipeline block name block_type language section extension upstream downstream path path_source "
        "file_exists retry_config executor_type timeout configuration is_dynamic reduce_output replicated_block "
        "has_callback"), {
        "language": ("string", "python, sql, r, yaml, markdown"),
        "section": ("string", "blocks, callbacks, conditionals, widgets or extensions"),
        "extension": ("string", "the extension an extension block belongs to"),
        "upstream": ("list", "upstream block uuids"),
        "downstream": ("list", "downstream block uuids"),
        "path": ("string", "the block's code file, resolved (None for blocks without one)"),
        "path_source": ("string", "how the path was found: default, file_source.path, file_path, dbt, none"),
        "file_exists": ("bool", "the code file exists"),
        "timeout": ("object", "the entry's `timeout` as written"),
        "configuration": ("dict", "the entry's `configuration`, secret-looking literals redacted"),
        "is_dynamic": ("bool", "a dynamic block (fans out into children)"),
        "reduce_output": ("bool", "reduces its dynamic children's output"),
        "replicated_block": ("string", "the block it replicates"),
        "has_callback": ("bool", "the entry has a callback"),
    }),
    frame("audit.inventory.block_files", _INV, "file under a block-type folder, or used by an entry", (
        "project path block_type block language subfolder_depth size_bytes lines_total lines_code n_functions "
        "functions decorators n_tests has_docstring complexity_max complexity_avg referenced n_pipelines skipped "
        "facts template clones complex_functions cues"), {
        "block": ("string", "block uuid: the path under the type folder without extension"),
        "language": ("string", "python, sql, r, yaml"),
        "subfolder_depth": ("int", "folders between the type folder and the file"),
        "size_bytes": ("int", "file size"),
        "lines_total": ("int", "lines of the file"),
        "n_functions": ("int", "functions defined"),
        "functions": ("list", "function names"),
        "decorators": ("list", "decorators used (data_loader, test, ...)"),
        "n_tests": ("int", "@test functions"),
        "has_docstring": ("bool", "the module or its decorated function has a docstring"),
        "complexity_max": ("float", "highest cyclomatic complexity of a function (radon's)"),
        "complexity_avg": ("float", "mean cyclomatic complexity"),
        "referenced": ("bool", "some pipeline uses the file"),
        "n_pipelines": ("int", "pipelines that use the file"),
        "skipped": ("string", "why the file was not measured (too big, unreadable), else None"),
        "facts": ("dict", "code facts as the rules read them; the same as a tidy frame: `code_facts`"),
        "template": ("bool", "the code is an untouched Mage template"),
        "clones": ("object", "normalised code units for copy-paste detection"),
        "complex_functions": ("list", "the most complex functions as [name, line, score]"),
        "cues": ("dict", "stub functions, wall-clock windows, use of execution_date"),
    }),
    frame("audit.inventory.code_facts", _INV, "block file and code fact found in it (facts below)",
          "project path block block_type fact count first_line details", {
              "block": ("string", "block uuid of the file (as in block_files)"),
              "fact": ("string", "the fact (see the table below)"),
              "count": ("int", "how many places (1 for yes/no facts, the number for counts)"),
              "first_line": ("Int64", "first line where it was found (blank for yes/no facts and counts)"),
              "details": ("string", "the distinct details found, comma-separated (calls, modes, kinds; never a secret)"),
          }),
    frame("audit.inventory.edges", _INV, "upstream -> downstream link", "project pipeline upstream downstream dangling", {
        "upstream": ("string", "the upstream block"), "downstream": ("string", "the downstream block"),
        "dangling": ("bool", "one end is not a block of the pipeline"),
    }),
    frame("audit.inventory.triggers", _INV, "trigger in a triggers.yaml", (
        "project pipeline path name schedule_type schedule_interval start_time status sla settings envs has_token "
        "token_fingerprint valid problem line python_tags variable_keys"), {
        "path": ("string", "the triggers.yaml"),
        "name": ("string", "trigger name (what history views call `trigger`)"),
        "start_time": ("string", "start_time as written"),
        "status": ("string", "active or inactive"),
        "sla": ("Int64", "SLA in seconds, None when unset"),
        "envs": ("list", "environments the trigger is created in (empty: all)"),
        "valid": ("bool", "Mage would accept the trigger"),
        "problem": ("string", "why it is not valid, else None"),
        "variable_keys": ("list", "names of the trigger's variables (never their values)"),
    }),
    frame("audit.inventory.input_problems", _INV, "input that could not be read", "path kind reason project"),
    frame("audit.input_problems", "findings", "input that could not be read (repo, history, git, security)",
          "path kind reason project"),
    frame("audit.findings", "findings", "finding of a rule", (
        "rule_id severity category message fingerprint project pipeline block path line evidence waived "
        "waiver_reason waiver_expires pipelines"), {
        "rule_id": ("string", "MAGE-XXX-nnn (docs/rules.md)"),
        "severity": ("category", "info < low < medium < high < critical (sorting is by severity)"),
        "category": ("string", "blocks, pipelines, reliability, security, ..."),
        "message": ("string", "what was found, in a sentence"),
        "fingerprint": ("string", "stable id of the finding across edits (baselines match on it)"),
        "pipeline": ("string", "the pipeline the finding is about, else None"),
        "block": ("string", "the block the finding is about, else None"),
        "evidence": ("string", "what was seen (never a secret value)"),
        "waived": ("bool", "waived in auditkit.yaml"),
        "waiver_reason": ("string", "why it was waived"),
        "waiver_expires": ("string", "date the waiver ends"),
        "pipelines": ("list", "every pipeline the finding touches (block findings: the pipelines using the block)"),
    }),
    frame("audit.git.commits", "git", "commit (newest 2,000)", (
        "sha date author subject conventional commit_type scope breaking is_merge on_main n_parents files_changed "
        "lines_changed"), {
        "date": ("datetime", "commit date (UTC)"), "author": ("string", "short fingerprint of the author"),
        "subject": ("string", "first line of the message"),
        "conventional": ("bool", "the subject follows Conventional Commits"),
        "commit_type": ("string", "conventional type: feat, fix, chore, ..."),
        "scope": ("string", "conventional scope"), "breaking": ("bool", "marked as a breaking change"),
        "is_merge": ("bool", "more than one parent"), "on_main": ("bool", "on main's first-parent line"),
        "n_parents": ("int", "parents"), "files_changed": ("int", "files changed"),
        "lines_changed": ("int", "lines added plus deleted"),
    }),
    frame("audit.git.branches", "git", "branch", "name kind last_commit_at is_remote is_local remotes sha", {
        "name": ("string", "branch name"), "kind": ("string", "main, development, staging, feature, release, other"),
        "last_commit_at": ("datetime", "date of its newest commit"), "is_remote": ("bool", "a remote branch"),
        "is_local": ("bool", "a local branch"), "remotes": ("list", "remotes holding it"),
        "sha": ("string", "its newest commit"),
    }),
    frame("audit.git.tags", "git", "tag", "name created_at annotated is_semver sha", {
        "name": ("string", "tag name"), "annotated": ("bool", "an annotated tag"),
        "is_semver": ("bool", "named like a semantic version"), "sha": ("string", "the tagged commit"),
    }),
)
