"""Command-line front end: parse arguments, call one library function, return an exit code.

Exit codes: 0 success; 1 findings at or above ``--fail-on`` (or a report section failed);
2 usage or input error (not a Mage repo, malformed config, unreadable baseline).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from auditkit.model import SEVERITIES

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def _add_source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--history", metavar="URL_OR_PATH",
                   help="run-history DB: a SQLAlchemy URL or a SQLite file path")
    p.add_argument("--mage-data", metavar="DIR",
                   help="a Mage data folder holding <project>/mage-ai.db and block logs")
    p.add_argument("--mage-url", metavar="URL", help="a running Mage server whose run history is read through "
                   "its REST API (read-only); credentials only from the environment: MAGE_API_KEY, and "
                   "MAGE_API_TOKEN or MAGE_EMAIL + MAGE_PASSWORD")
    p.add_argument("--since", metavar="DATE", help="only history at or after this date (ISO), or the last "
                   "span such as 90d, 12w or 36h (counted back from the newest run)")
    p.add_argument("--until", metavar="DATE", help="only history before this date (ISO)")
    p.add_argument("--config", metavar="FILE", help="auditkit.yaml (default: <repo>/auditkit.yaml)")
    p.add_argument("--no-cache", action="store_true",
                   help="measure every file afresh (default: reuse unchanged files' results from "
                        "~/.cache/auditkit; AUDITKIT_CACHE_DIR moves it, =off disables it)")
    p.add_argument("--fail-on", choices=SEVERITIES, metavar="SEVERITY",
                   help=f"exit 1 when an unwaived finding at or above this severity exists ({', '.join(SEVERITIES)})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditkit", description="Audit a Mage (mage-ai) repository.")
    sub = parser.add_subparsers(dest="command", required=True)

    report = sub.add_parser("report", help="run every section notebook and export an HTML report set")
    report.add_argument("path", help="a Mage repo or project folder")
    report.add_argument("--out", default="reports/latest", help="output folder (default: reports/latest)")
    report.add_argument("--previous", metavar="DIR",
                        help="an earlier report folder, or a folder of earlier report folders, for the trend")
    report.add_argument("--pdf", action="store_true", help="also print the whole report set to OUT/report.pdf "
                        "(headless Chromium: AUDITKIT_CHROMIUM or chromium on the PATH)")
    report.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks run at once")
    report.add_argument("--env", action="append", metavar="NAME=REF_OR_FOLDER",
                        help="add the environment drift section: environments in promotion order (repeat), "
                             "as for `auditkit drift`")
    _add_source_args(report)

    demo = sub.add_parser("demo", help="audit the embedded demo repo and its generated history")
    demo.add_argument("--out", default="reports/demo", help="output folder (default: reports/demo)")
    demo.add_argument("--previous", metavar="DIR",
                      help="an earlier report folder, or a folder of earlier report folders, for the trend")
    demo.add_argument("--pdf", action="store_true", help="also print the report set to OUT/report.pdf")
    demo.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks run at once")

    check = sub.add_parser("check", help="print findings; write JSON/CSV/SARIF; gate CI")
    check.add_argument("path", help="a Mage repo or project folder")
    check.add_argument("--format", action="append", choices=["table", "json", "csv", "sarif"],
                       help="output format(s); repeat for several (default: table)")
    check.add_argument("--out", metavar="DIR", help="folder for findings.json/.csv/.sarif")
    check.add_argument("--baseline", metavar="FILE", help="a previous findings.json: report and fail on new findings only")
    _add_source_args(check)

    drift = sub.add_parser("drift", help="compare environments (git refs or folders): dev, staging, production")
    drift.add_argument("path", help="the Mage repo (a work tree or a bare mirror)")
    from auditkit.drift.options import add_arguments as add_drift_arguments
    add_drift_arguments(drift)

    notebooks = sub.add_parser("notebooks", help="write copies of the section notebooks with their parameters "
                                                 "filled in, to explore in JupyterLab")
    notebooks.add_argument("folder", help="where to write the copies (not the shipped notebooks/ folder)")
    notebooks.add_argument("path", nargs="?", default="", help="the Mage repo to audit (default: the embedded demo)")
    for flag, meta in (("--history", "URL_OR_PATH"), ("--mage-data", "DIR"), ("--mage-url", "URL"), ("--since", "DATE"),
                       ("--until", "DATE"), ("--config", "FILE")):
        notebooks.add_argument(flag, metavar=meta, default="", help="as for `auditkit report`")
    notebooks.add_argument("--force", action="store_true", help="replace notebooks already in the folder")

    rules = sub.add_parser("rules", help="print the rule catalogue")
    rules.add_argument("--format", choices=["md", "json"], default="md")
    rules.add_argument("--precision", metavar="CSV",
                       help="per-rule precision measured by the ecosystem check "
                            "(benchmarks/ecosystem/precision.csv), shown with each rule")
    columns = sub.add_parser("columns", help="print the columns of every public frame (docs/columns.md)")
    columns.add_argument("--format", choices=["md", "json"], default="md")
    return parser


def cmd_report(args: argparse.Namespace) -> int:
    from auditkit.report import skip_slow_schema_formats
    skip_slow_schema_formats()
    from auditkit.report.runner import run_report
    if args.pdf:
        from auditkit.report.pdf import chromium_path
        chromium_path()              # fail before the audit when no browser can print
    result = run_report(args.path, out=args.out, history=args.history, mage_data=args.mage_data,
                        since=args.since, until=args.until, config=args.config,
                        previous=args.previous, jobs=args.jobs, cache=not args.no_cache,
                        envs=getattr(args, "env", None), pdf=args.pdf, mage_url=args.mage_url)
    return result.exit_code(args.fail_on)


def cmd_demo(args: argparse.Namespace) -> int:
    from auditkit.report import skip_slow_schema_formats
    skip_slow_schema_formats()
    from auditkit.demo.workspace import prepare_demo
    from auditkit.report.runner import run_report
    if args.pdf:
        from auditkit.report.pdf import chromium_path
        chromium_path()
    out = Path(args.out)
    from auditkit.drift.run import DEMO_ENVS
    repo, mage_data = prepare_demo()
    result = run_report(repo, out=out, mage_data=mage_data, previous=args.previous, jobs=args.jobs,
                        envs=DEMO_ENVS, env_mage_data={"prod": mage_data}, pdf=args.pdf)
    return result.exit_code(None)


def cmd_check(args: argparse.Namespace) -> int:
    from auditkit.check import run_check
    return run_check(args)


def cmd_drift(args: argparse.Namespace) -> int:
    from auditkit.drift.command import run_drift_command
    return run_drift_command(args)


def cmd_notebooks(args: argparse.Namespace) -> int:
    from auditkit.readers.history.source import display_url
    from auditkit.report.workspace import WorkspaceError, write_workspace

    def absolute(path: str) -> str:
        return str(Path(path).expanduser().resolve()) if path else ""

    history = args.history if "://" in args.history else absolute(args.history)
    parameters = {"repo": absolute(args.path), "history": history, "mage_data": absolute(args.mage_data),
                  "mage_url": display_url(args.mage_url) if args.mage_url else "",
                  "since": args.since, "until": args.until, "config": absolute(args.config)}
    try:
        files = write_workspace(args.folder, parameters, force=args.force)
    except WorkspaceError as exc:
        print(f"auditkit: {exc}", file=sys.stderr)
        return EXIT_INPUT
    print(f"{len(files.notebooks)} notebooks written to {files.folder}; open them with:\n"
          f"  jupyter lab {files.folder}")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from auditkit.engine.catalogue import load_precision, render_catalogue
    sys.stdout.write(render_catalogue(args.format, load_precision(getattr(args, "precision", None))))
    return EXIT_OK


def cmd_columns(args: argparse.Namespace) -> int:
    import json

    from auditkit.columns import FRAMES, render_markdown
    if args.format == "json":
        sys.stdout.write(json.dumps([{"frame": f.name, "group": f.group, "row": f.row, "raw": f.raw,
                                      "columns": [{"name": c, "dtype": d, "meaning": m}
                                                  for c, (d, m) in f.columns.items()]} for f in FRAMES], indent=1))
    else:
        sys.stdout.write(render_markdown())
    return EXIT_OK


COMMANDS = {"report": cmd_report, "demo": cmd_demo, "check": cmd_check, "rules": cmd_rules, "drift": cmd_drift,
            "notebooks": cmd_notebooks, "columns": cmd_columns}


def main(argv: list[str] | None = None) -> int:
    from auditkit.config import ConfigError
    from auditkit.drift.envs import DriftInputError
    from auditkit.readers.repo import NotAMageRepo

    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except NotAMageRepo as exc:
        print(f"auditkit: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ConfigError as exc:
        print(f"auditkit: configuration error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except (FileNotFoundError, DriftInputError) as exc:
        print(f"auditkit: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except RuntimeError as exc:
        from auditkit.report.pdf import PdfError
        if not isinstance(exc, PdfError):
            raise
        print(f"auditkit: {exc}", file=sys.stderr)
        return EXIT_INPUT


if __name__ == "__main__":
    sys.exit(main())
