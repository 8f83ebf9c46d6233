"""Build ``auditkit/data/mage_templates.json``: facts about the templates shipped in mage-ai.

Mage's scaffolding (the ``mage init`` project, the block templates the UI fills a new block
with, the io_config template) is recognised by content, not by name. This script reads the
templates out of mage-ai wheels from PyPI and keeps only facts, never their code:

* ``template_lines``: a short hash of every normalised code line of every block and project
  template (Jinja tags and ``{{ ... }}`` lines dropped). A block file whose every line hashes
  into this set is an untouched (or only trimmed) template.
* ``repo_files``: hash of each file of the ``mage init`` project, by its path in the project.
* ``example_pipeline_blocks``: block uuids of the template's ``example_pipeline``.
* ``io_config``: every template placeholder value, by its key path below the profile.

Run with the project venv (it needs network access to PyPI for ``pip download``)::

    .venv/bin/python tools/mage_templates.py                 # the versions below
    .venv/bin/python tools/mage_templates.py --wheels DIR    # wheels already downloaded

The test ``tests/test_mage_templates.py`` checks the committed file against a wheel.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
from auditkit.readers.templates import (  # noqa: E402  (the one definition of normalising)
    TEMPLATES_JSON, line_hash, template_code_lines,
)

# Spread over the releases public repos were made with; each adds the lines it changed.
VERSIONS = ("0.8.10", "0.9.0", "0.9.10", "0.9.20", "0.9.30", "0.9.40", "0.9.50", "0.9.58",
            "0.9.65", "0.9.70", "0.9.76", "0.9.80")
PREFIX = "mage_ai/data_preparation/templates/"
BLOCK_TEMPLATE_DIRS = ("data_loaders/", "transformers/", "data_exporters/", "custom/", "sensors/",
                       "conditionals/", "callbacks/", "repo/", "testable.jinja")
_JINJA_VALUE_RE = re.compile(r"\{\{.*?\}\}")


def download(version: str, dest: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", f"mage-ai=={version}", "--no-deps",
                    "-q", "-d", str(dest)], check=True)
    return next(dest.glob(f"mage_ai-{version}-*.whl"))


def io_config_values(text: str) -> dict[str, set[str]]:
    """Template placeholder values by key path (``POSTGRES_PASSWORD``, ``trino.password``)."""
    text = _JINJA_VALUE_RE.sub("jinja", text)
    doc = yaml.safe_load(text) or {}
    values: dict[str, set[str]] = {}

    def walk(prefix: str, node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif node is not None and not isinstance(node, (list, bool)) and str(node) != "jinja":
            values.setdefault(prefix, set()).add(str(node))

    for profile, body in doc.items():
        if isinstance(body, dict):
            walk("", body)
    return values


def facts_from_wheel(wheel: Path) -> dict:
    lines: set[str] = set()
    repo_files: dict[str, str] = {}
    example_blocks: set[str] = set()
    io_config: dict[str, set[str]] = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if not name.startswith(PREFIX) or name.endswith("/"):
                continue
            rel = name[len(PREFIX):]
            if not rel.startswith(BLOCK_TEMPLATE_DIRS):
                continue
            text = zf.read(name).decode("utf-8", errors="replace")
            if rel == "repo/io_config.yaml":
                for key, vals in io_config_values(text).items():
                    io_config.setdefault(key, set()).update(vals)
                continue
            if rel == "repo/pipelines/example_pipeline/metadata.yaml":
                doc = yaml.safe_load(text) or {}
                example_blocks.update(b["uuid"] for b in doc.get("blocks") or [] if isinstance(b, dict))
                continue
            if rel.startswith("repo/"):
                repo_files[rel[len("repo/"):]] = line_hash("\n".join(template_code_lines(text)))
            # Transformer actions are working code once their action is chosen (clean column
            # names, drop duplicates): a block made from one is the team's choice, not a stub.
            if rel.endswith((".py", ".jinja", ".sql", ".r", ".yaml")) and "transformer_actions" not in rel:
                lines.update(line_hash(line) for line in template_code_lines(text))
    return {"lines": lines, "repo_files": repo_files, "example_blocks": example_blocks,
            "io_config": io_config}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wheels", type=Path, help="folder of mage_ai-*.whl (default: download them)")
    ap.add_argument("--versions", nargs="*", default=list(VERSIONS))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.wheels or Path(tmp)
        wheels = []
        for version in args.versions:
            found = list(folder.glob(f"mage_ai-{version}-*.whl"))
            wheels.append(found[0] if found else download(version, folder))
        lines: set[str] = set()
        repo_files: dict[str, set[str]] = {}
        example_blocks: set[str] = set()
        io_config: dict[str, set[str]] = {}
        for wheel in wheels:
            facts = facts_from_wheel(wheel)
            lines |= facts["lines"]
            for path, digest in facts["repo_files"].items():
                repo_files.setdefault(path, set()).add(digest)
            example_blocks |= facts["example_blocks"]
            for key, vals in facts["io_config"].items():
                io_config.setdefault(key, set()).update(vals)
    doc = {
        "generated_from": sorted(args.versions, key=lambda v: tuple(int(p) for p in v.split("."))),
        "template_lines": sorted(lines),
        "repo_files": {k: sorted(v) for k, v in sorted(repo_files.items())},
        "example_pipeline_blocks": sorted(example_blocks),
        "io_config": {k: sorted(v) for k, v in sorted(io_config.items())},
    }
    TEMPLATES_JSON.parent.mkdir(parents=True, exist_ok=True)
    TEMPLATES_JSON.write_text(json.dumps(doc, indent=0, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {TEMPLATES_JSON}: {len(lines)} template lines, {len(repo_files)} project files, "
          f"{len(io_config)} io_config keys from {len(wheels)} releases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
