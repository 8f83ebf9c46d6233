"""The options of ``auditkit drift`` (kept apart so that building the CLI parser stays cheap)."""
from __future__ import annotations

import argparse

from auditkit.model import SEVERITIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``auditkit drift`` (the CLI adds ``path``)."""
    parser.add_argument("--env", action="append", required=True, metavar="NAME=REF_OR_FOLDER",
                        help="an environment, in promotion order (repeat): a git ref of the repo "
                             "(read without checkout) or a folder; e.g. --env dev=development "
                             "--env staging=staging --env prod=main")
    parser.add_argument("--history", action="append", metavar="ENV=URL_OR_PATH",
                        help="run-history DB of one environment (repeat per environment)")
    parser.add_argument("--mage-data", action="append", metavar="ENV=DIR",
                        help="Mage data folder of one environment (repeat per environment)")
    parser.add_argument("--since", metavar="DATE", help="only history at or after this date (ISO)")
    parser.add_argument("--until", metavar="DATE", help="only history before this date (ISO)")
    parser.add_argument("--config", metavar="FILE", help="auditkit.yaml (default: <repo>/auditkit.yaml)")
    parser.add_argument("--format", action="append", choices=["table", "json", "csv", "sarif"],
                        help="output format(s) of the findings; repeat for several (default: table)")
    parser.add_argument("--out", metavar="DIR", help="folder for drift.json and the findings files")
    parser.add_argument("--fail-on", choices=SEVERITIES, metavar="SEVERITY",
                        help=f"exit 1 when an unwaived drift finding at or above this severity exists "
                             f"({', '.join(SEVERITIES)})")
