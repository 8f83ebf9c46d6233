"""The report runner on a small fixture: failure isolation, exit codes, trend, findings files."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from auditkit.report import runner
from auditkit.report.notebooks import Section, notebooks_dir
from auditkit.report.trend import compare_reports

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "repos" / "rich_repo"


def _failing_notebook(path: Path) -> None:
    nb = new_notebook()
    params = new_code_cell('audit_cache: str = ""  # folder with a cached audit')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# Broken section"), params,
                new_code_cell("print('before the failure')"),
                new_code_cell("raise RuntimeError('section exploded on purpose')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


@pytest.fixture
def two_sections(tmp_path, monkeypatch):
    """A notebooks folder with the real blocks notebook and one that fails."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(notebooks_dir() / "10_blocks.ipynb", folder / "10_blocks.ipynb")
    _failing_notebook(folder / "20_pipelines.ipynb")
    sections = [Section("10_blocks", "Blocks", ("blocks",)), Section("20_pipelines", "Broken", ())]
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setattr(runner, "available_sections", lambda: sections)
    return sections


def test_a_failing_section_does_not_stop_the_others(two_sections, tmp_path):
    out = tmp_path / "report"
    result = runner.run_report(FIXTURE_REPO, out=out, jobs=2)
    status = {s.section.slug: s.ok for s in result.sections}
    assert status == {"10_blocks": True, "20_pipelines": False}
    assert result.exit_code(None) == 1
    broken = (out / "20_pipelines.html").read_text()
    assert "This section failed" in broken and "section exploded on purpose" in broken
    assert "before the failure" in broken          # what ran before the error is kept
    index = (out / "index.html").read_text()
    assert index.count("ak-failed") == 1 and 'href="10_blocks.html"' in index
    assert (out / "10_blocks.html").read_text().count("plotly-graph-div") >= 5


def test_report_writes_findings_files_and_gates_on_severity(two_sections, tmp_path):
    out = tmp_path / "report"
    result = runner.run_report(FIXTURE_REPO, out=out, jobs=1)
    doc = json.loads((out / "findings.json").read_text())
    assert len(doc["findings"]) == len(result.audit.findings) > 0
    assert (out / "findings.sarif").exists() and (out / "findings.csv").exists()
    worst = result.audit.findings["severity"].iloc[0]        # sorted most severe first
    result.sections = [s for s in result.sections if s.ok]   # isolate the severity gate
    assert result.exit_code(worst) == 1
    assert result.exit_code(None) == 0


def test_trend_counts_new_fixed_and_unchanged_findings(tmp_path):
    from auditkit.audit import run_audit
    from auditkit.outputs.findings import write_findings

    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE_REPO, repo)
    reports = tmp_path / "reports"

    def snapshot(name: str) -> Path:
        audit = run_audit(repo)
        folder = reports / name
        audit.save(folder)
        write_findings(audit.findings, folder, ["json"], str(repo))
        return folder

    before = snapshot("2026-Q3")
    orphans = [p for p in run_audit(repo).inventory.block_files.itertuples() if not p.referenced]
    assert orphans, "fixture needs an orphan block file"
    (repo / orphans[0].path).unlink()               # fix one finding, change nothing else
    after = snapshot("2026-Q4")

    trend = compare_reports(before, after)
    totals = trend.by_rule[["new", "fixed", "unchanged"]].sum()
    assert totals["new"] == 0 and totals["fixed"] >= 1 and totals["unchanged"] > 0
    fixed_rules = set(trend.by_rule.loc[trend.by_rule["fixed"] > 0, "rule_id"])
    assert any(r.startswith("MAGE-BLK") for r in fixed_rules)
    assert list(trend.history["report"]) == ["2026-Q3", "2026-Q4"]
    assert "1 fixed" in trend.html or f"{int(totals['fixed'])} fixed" in trend.html


def _write_section_notebook(folder, name: str, source: str) -> None:
    """A section notebook: the report's parameters cell, then ``source``."""
    nb = new_notebook()
    params = new_code_cell('audit_cache: str = ""  # folder with a cached audit')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


def test_a_section_never_sees_what_an_earlier_section_changed(tmp_path, monkeypatch, capfd):
    """With one worker the notebooks run one after the other, each in a kernel of its own: names,
    pandas options, plotly's default template and module attributes set by one section are
    gone in the next, while the warm imports are already loaded."""
    folder = tmp_path / "notebooks"
    folder.mkdir()

    def notebook(name: str, source: str) -> None:
        _write_section_notebook(folder, name, source)

    notebook("10_first", "left_behind = 41\nimport os\nprint('pid', os.getpid())\n"
                         "import pandas, plotly.io, auditkit.plots.style\n"
                         "pandas.set_option('display.max_rows', 3)\n"
                         "plotly.io.templates.default = 'ggplot2'\n"
                         "auditkit.plots.style.LEAKED = True\n"
                         "auditkit.plots.style.SEVERITY_COLORS['high'] = '#000000'")
    notebook("20_second", "import os, sys\nprint('pid', os.getpid())\n"
                          "assert 'auditkit.plots' in sys.modules, 'warm imports missing'\n"
                          "assert 'left_behind' not in globals(), 'a name leaked between sections'\n"
                          "import pandas, plotly.io, auditkit.plots.style\n"
                          "assert pandas.get_option('display.max_rows') != 3, 'a pandas option leaked'\n"
                          "assert plotly.io.templates.default != 'ggplot2', 'the plotly template leaked'\n"
                          "assert not hasattr(auditkit.plots.style, 'LEAKED'), 'a module attribute leaked'\n"
                          "assert auditkit.plots.style.SEVERITY_COLORS['high'] != '#000000', 'a module dict leaked'")
    notebook("30_third", "import os\nprint('pid', os.getpid())\nassert 'left_behind' not in globals()")
    sections = [Section("10_first", "First", ()), Section("20_second", "Second", ()), Section("30_third", "Third", ())]
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setattr(runner, "available_sections", lambda: sections)
    out = tmp_path / "report"
    # The socket folders this run creates (kernels of other processes on the machine have theirs).
    created, real_mkdtemp = [], tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        created.append(real_mkdtemp(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    result = runner.run_report(FIXTURE_REPO, out=out, jobs=1)
    assert [s.ok for s in result.sections] == [True, True, True], [s.error for s in result.sections]
    pids = set()
    for slug in ("10_first", "20_second", "30_third"):
        executed = nbformat.read(str(out / "notebooks" / f"{slug}.ipynb"), as_version=4)
        text = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
        pids.add(text.split("pid", 1)[1].split()[0])
    assert len(pids) == 3     # one kernel per section
    # Kernels use IPC sockets in a private folder (removed afterwards), not unencrypted TCP.
    err = capfd.readouterr().err
    assert "over TCP" not in err and "10_first" in err
    sockets = [Path(p) for p in created if Path(p).name.startswith("auditkit-kernel-")]
    assert len(sockets) >= 3 and not any(p.exists() for p in sockets)


def test_kernels_fall_back_to_tcp_when_the_temp_path_is_too_long_for_a_socket(tmp_path, monkeypatch):
    from auditkit.report.kernels import WarmKernel, report_kernel_env

    long_tmp = tmp_path / ("t" * 60) / ("u" * 60)
    long_tmp.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmp))
    kernel = WarmKernel(str(tmp_path), report_kernel_env())
    try:
        km = kernel.ready(more=False)
        from jupyter_client.utils import run_sync
        assert km.transport == "tcp" and run_sync(km.is_alive)()
    finally:
        kernel.close()
    assert not list(long_tmp.iterdir())     # the socket folder is removed either way


def test_a_section_that_kills_its_kernel_leaves_the_next_section_untouched(tmp_path, monkeypatch):
    """Kernels are forked from a preloaded server (kernel_fork.py): a section that sets names and
    module state and then kills its whole process group takes down only its own kernel; the next
    section gets a fresh kernel from the same server, with nothing of the first."""
    import os

    folder = tmp_path / "notebooks"
    folder.mkdir()

    def notebook(name: str, source: str) -> None:
        _write_section_notebook(folder, name, source)

    pids = tmp_path / "pids"
    pids.mkdir()
    record = f"open({str(pids)!r} + '/' + str(os.getpid()), 'w').write(str(os.getppid()))\n"
    notebook("10_crash", "left_behind = 41\nimport os, signal, auditkit.plots.style\n"
                         "auditkit.plots.style.LEAKED = True\n" + record +
                         "os.killpg(os.getpgid(0), signal.SIGKILL)")
    notebook("20_after", "import os, sys, auditkit.plots.style\n" + record +
                         "assert 'left_behind' not in globals(), 'a name survived the crash'\n"
                         "assert not hasattr(auditkit.plots.style, 'LEAKED'), 'module state survived the crash'\n"
                         "assert 'pandas' in sys.modules\n"
                         "assert sys.argv[0].endswith('ipykernel_launcher.py'), sys.argv")
    sections = [Section("10_crash", "Crash", ()), Section("20_after", "After", ())]
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    monkeypatch.setattr(runner, "available_sections", lambda: sections)
    monkeypatch.delenv("AUDITKIT_FORK_KERNELS", raising=False)
    out = tmp_path / "report"
    result = runner.run_report(FIXTURE_REPO, out=out, jobs=1)
    status = {s.section.slug: (s.ok, s.error) for s in result.sections}
    assert not status["10_crash"][0] and "Dead" in status["10_crash"][1], status
    assert status["20_after"] == (True, None), status
    parents = {int(p.name): int(p.read_text()) for p in pids.iterdir()}
    assert len(parents) == 2                                  # two kernels, one per section
    assert len(set(parents.values())) == 1                    # both forked by the same server
    assert os.getpid() not in parents.values()               # by the server, not launched by us


def test_only_this_interpreters_ipykernel_is_forked():
    import sys

    from auditkit.report.kernel_fork import ipykernel_arguments

    launcher = [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "k.json"]
    assert ipykernel_arguments(launcher) == ["-f", "k.json"]
    assert ipykernel_arguments([sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]) == ["-f", "k.json"]
    assert ipykernel_arguments(["/usr/bin/other-python", "-m", "ipykernel_launcher", "-f", "k.json"]) is None
    assert ipykernel_arguments([sys.executable, "-m", "other_kernel", "-f", "k.json"]) is None
    assert ipykernel_arguments([sys.executable, "-c", "x", "-m", "ipykernel_launcher"]) is None
    assert ipykernel_arguments(["R", "--slave"]) is None


def test_forked_kernels_only_when_the_main_module_is_safe_to_import(monkeypatch, tmp_path):
    """multiprocessing imports the program's __main__ in the fork server: a script that runs the
    report at its top level would run again there, so such scripts get plain kernels."""
    import sys
    import sysconfig
    import types

    from auditkit.report.kernel_fork import main_module_is_safe

    def main(name=None, file=None):
        module = types.ModuleType("__main__")
        module.__spec__ = types.SimpleNamespace(name=name) if name else None
        if file:
            module.__file__ = file
        monkeypatch.setitem(sys.modules, "__main__", module)
        return main_module_is_safe()

    assert main(name="pytest.__main__") and main() is True           # python -m pkg; python -c
    assert main(file=str(Path(sysconfig.get_path("scripts")) / "auditkit"))   # the console script
    assert not main(file=str(tmp_path / "my_script.py"))
    assert not main(name="my_module")                                  # python -m my_module


def test_forked_and_plain_kernels_write_the_same_section(tmp_path, monkeypatch):
    """The fork server is a shortcut around starting each kernel as a new interpreter: a real
    section notebook gives the same page either way (figure ids aside, which are random)."""
    import re

    section = Section("10_blocks", "Blocks", ("blocks",))
    monkeypatch.setattr(runner, "available_sections", lambda: [section])
    pages = {}
    for fork in ("0", "1"):
        monkeypatch.setenv("AUDITKIT_FORK_KERNELS", fork)
        out = tmp_path / f"fork{fork}"
        result = runner.run_report(FIXTURE_REPO, out=out, jobs=1)
        assert [s.ok for s in result.sections] == [True]
        html = (out / "10_blocks.html").read_text()
        pages[fork] = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|cell-id=[0-9a-f]+", "ID", html)
    assert pages["1"].count("plotly-graph-div") >= 5
    assert pages["0"] == pages["1"]
