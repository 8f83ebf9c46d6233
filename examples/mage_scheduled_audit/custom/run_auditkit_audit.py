"""Mage custom block: audit this Mage project with auditkit and fail on new severe findings."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

if 'custom' not in globals():
    from mage_ai.data_preparation.decorators import custom
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


def _previous_report(reports: Path, today: str):
    earlier = sorted(p for p in reports.iterdir() if p.is_dir() and p.name < today) if reports.exists() else []
    return earlier[-1] if earlier else None


@custom
def run_auditkit_audit(*args, **kwargs):
    """Run `auditkit report` on this project (with its run history) and `auditkit check` against
    yesterday's findings as the baseline. Returns the report folder and the check exit code."""
    logger = kwargs.get('logger')
    project = Path(os.environ.get('USER_CODE_PATH', Path(__file__).resolve().parents[1]))
    reports = Path(os.environ.get('AUDITKIT_REPORTS_DIR', project.parent / 'auditkit_reports'))
    mage_data = os.environ.get('MAGE_DATA_DIR', str(Path.home() / '.mage_data'))
    fail_on = os.environ.get('AUDITKIT_FAIL_ON', 'high')
    today = dt.date.today().isoformat()
    out = reports / today
    previous = _previous_report(reports, today)

    cmd = [sys.executable, '-m', 'auditkit.cli', 'report', str(project), '--mage-data', mage_data,
           '--out', str(out), '--jobs', '2']
    if previous:
        cmd += ['--previous', str(previous)]
    subprocess.run(cmd, check=False)

    check = [sys.executable, '-m', 'auditkit.cli', 'check', str(project), '--mage-data', mage_data,
             '--format', 'json', '--out', str(out), '--fail-on', fail_on]
    if previous and (previous / 'findings.json').exists():
        check += ['--baseline', str(previous / 'findings.json')]
    code = subprocess.run(check, check=False).returncode
    if logger:
        logger.info('auditkit report %s, check exit code %s', out, code)
    if code == 1:
        raise RuntimeError(f'auditkit: new findings at or above {fail_on}; see {out}/index.html')
    if code == 2:
        raise RuntimeError('auditkit: the audit could not read its input; see the block log')
    return {'report': str(out), 'check_exit_code': code}


@test
def test_output(output, *args) -> None:
    assert output['check_exit_code'] == 0, 'the audit found new severe problems'
