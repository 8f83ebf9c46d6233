"""Mage's own scaffolding, recognised by content.

``mage init`` writes an example pipeline (``load_titanic`` -> ``fill_in_missing_values`` ->
``export_titanic_clean``) and an io_config.yaml full of placeholder values, and the UI fills
every new block with a template. Left untouched they are not the team's code, and findings
about them are noise. ``data/mage_templates.json`` holds facts read out of the templates in
mage-ai's own wheels by ``tools/mage_templates.py`` (hashes of normalised lines, placeholder
values by key); no template code is kept.
"""
from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

TEMPLATES_JSON = Path(__file__).resolve().parents[1] / "data" / "mage_templates.json"
_JINJA_LINE_RE = re.compile(r"^\{%.*%\}$|\{\{|\}\}")


_COMMENT_PREFIXES = {"python": ("#",), "r": ("#",), "yaml": ("#",), "sql": ("--",)}


def template_code_lines(text: str, *, keep_jinja: bool = False, comments: tuple[str, ...] = ("#", "--")) -> list[str]:
    """The lines that identify code: stripped, without blanks and comment-only lines.

    In a template, Jinja lines are holes filled at creation, so they are dropped; in a user's
    file a ``{{ df_1 }}`` line is code (a SQL block reading its upstream), so ``keep_jinja``
    keeps them."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(comments):
            continue
        if not keep_jinja and _JINJA_LINE_RE.search(line):
            continue
        out.append(line)
    return out


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def template_facts() -> dict:
    """The committed template facts (line hashes as a frozenset)."""
    doc = json.loads(TEMPLATES_JSON.read_text(encoding="utf-8"))
    doc["template_lines"] = frozenset(doc["template_lines"])
    doc["io_config"] = {k: frozenset(v) for k, v in doc["io_config"].items()}
    return doc


def is_template_code(text: str, language: str = "python") -> bool:
    """True when every code line of ``text`` is a line of some Mage template (an untouched or
    only trimmed template), or when it has no code at all (a block the UI created and nobody
    wrote: only Mage's comment, or nothing). Comments are those of ``language`` (a dbt command
    ``--select daily`` in a YAML block is code)."""
    known = template_facts()["template_lines"]
    lines = template_code_lines(text, keep_jinja=True, comments=_COMMENT_PREFIXES.get(language, ("#",)))
    return all(line_hash(line) in known for line in lines)


def io_config_template_values(key: str) -> frozenset[str]:
    """Placeholder values Mage's io_config template gives ``key`` (dotted for nested keys)."""
    return template_facts()["io_config"].get(key, frozenset())


def example_pipeline_blocks() -> frozenset[str]:
    return frozenset(template_facts()["example_pipeline_blocks"])
