"""The layering of docs/architecture.md, checked by import-linter on every test run.

The contracts are in pyproject.toml ([tool.importlinter]): readers never import analytics,
rules, plots or report; rules never import plots or report; plots import no readers; outputs
never import the audit; code metrics know nothing of the security scan.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_importing_auditkit_changes_no_global_state():
    """Display hooks, plotly's template and pandas options are the caller's to change."""
    code = ("import plotly.io as pio, pandas as pd\n"
            "before = (pio.templates.default, pd.get_option('display.max_colwidth'))\n"
            "from plotly.basedatatypes import BaseFigure\n"
            "hooks = (getattr(BaseFigure, '_repr_mimebundle_', None), getattr(BaseFigure, '_ipython_display_', None))\n"
            "import sys\n"
            "import auditkit, auditkit.plots, auditkit.plots.findings, auditkit.report, auditkit.report.runner\n"
            "import auditkit.limits, auditkit.plots.tables, auditkit.report.section, auditkit.report.openings\n"
            "import auditkit.report.pages, auditkit.report.pdf, itables.javascript\n"
            "after = (pio.templates.default, pd.get_option('display.max_colwidth'))\n"
            "hooks_after = (getattr(BaseFigure, '_repr_mimebundle_', None), getattr(BaseFigure, '_ipython_display_', None))\n"
            "assert before == after, (before, after)\n"
            "assert hooks == hooks_after\n"
            "assert 'rfc3987_syntax' not in sys.modules or sys.modules['rfc3987_syntax'] is not None\n")
    env = {"PATH": "/usr/bin:/bin", "AUDITKIT_REPORT": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
