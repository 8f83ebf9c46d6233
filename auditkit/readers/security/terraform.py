"""Mage deployments described by a Terraform module (the ``.tf``/``.tfvars`` files of one folder).

A module is read as a whole, because its parts live in different files: the container block with
``image = var.docker_image`` and its ``env`` blocks in ``main.tf``, the image's default in
``variables.tf``. Recognised, by pattern (no HCL evaluation):

* the image: ``image = "mageai/mageai:TAG"`` or ``image = var.NAME`` / ``"${var.NAME}"`` with the
  variable's ``default`` (or a ``.tfvars`` value) naming ``mageai/mageai``; the deployment's file
  and line are where ``image =`` is written;
* settings: ``name = "SETTING"`` followed by ``value = "..."`` (a literal) or ``value = <expr>``
  (a reference), and ``SETTING = "..."`` map entries;
* public access: an IAM member/binding/policy of a Cloud Run service that grants ``allUsers`` or
  ``allAuthenticatedUsers`` (the service then answers anyone on the internet).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from auditkit.readers.security.compose import is_mage_image, line_at

_VAR_BLOCK_RE = re.compile(r'variable\s+"(?P<name>[\w-]+)"\s*\{(?P<body>[^{}]*(?:\{[^{}]*\}[^{}]*)*)\}', re.S)
_DEFAULT_RE = re.compile(r'^\s*default\s*=\s*"(?P<value>[^"]*)"', re.M)
_TFVARS_RE = re.compile(r'^\s*(?P<name>[\w-]+)\s*=\s*"(?P<value>[^"]*)"', re.M)
_IMAGE_RE = re.compile(r'^\s*image\s*=\s*(?P<value>"[^"\n]*"|[\w.\[\]"-]+)', re.M)
_VAR_REF_RE = re.compile(r'^(?:"\$\{)?var\.(?P<name>[\w-]+)\}?"?$')
_PUBLIC_RE = re.compile(r'resource\s+"(?P<type>google_cloud_run(?:_v2)?_service_iam_(?:member|binding|policy))"'
                        r'[^{]*\{(?P<body>[^{}]*)\}', re.S)


@dataclass
class TerraformMage:
    """One Mage container found in a Terraform module."""

    path: str                                   # file holding ``image =``
    line: int
    image: str
    image_path: str                             # file where the image name is written
    image_line: int | None
    settings: dict[str, tuple[str, int, str]] = field(default_factory=dict)   # name -> (value, line, path)
    public: str | None = None


def _variables(texts: dict[str, str]) -> dict[str, tuple[str, str, int]]:
    """Variable name -> (value, file, line) from ``default``s, overridden by ``.tfvars``."""
    found: dict[str, tuple[str, str, int]] = {}
    for path, text in texts.items():
        if path.endswith(".tf"):
            for block in _VAR_BLOCK_RE.finditer(text):
                default = _DEFAULT_RE.search(block.group("body"))
                if default:
                    found[block.group("name")] = (default.group("value"), path,
                                                  line_at(text, block.start("body") + default.start("value")))
    for path, text in texts.items():
        if path.endswith(".tfvars"):
            for match in _TFVARS_RE.finditer(text):
                found[match.group("name")] = (match.group("value"), path, line_at(text, match.start()))
    return found


def read_module(texts: dict[str, str], setting_names: tuple[str, ...]) -> list[TerraformMage]:
    """The Mage containers of one module (``texts``: repo path -> text of its .tf/.tfvars files)."""
    variables = _variables(texts)
    found: list[TerraformMage] = []
    for path, text in sorted(texts.items()):
        if not path.endswith(".tf"):
            continue
        for match in _IMAGE_RE.finditer(text):
            raw = match.group("value").strip()
            reference = _VAR_REF_RE.match(raw)
            if reference and reference.group("name") in variables:
                image, image_path, image_line = variables[reference.group("name")]
            else:
                image, image_path, image_line = raw.strip('"'), path, line_at(text, match.start())
            if is_mage_image(image):
                found.append(TerraformMage(path, line_at(text, match.start()), image, image_path, image_line))
    if not found:
        return []
    settings = _settings(texts, setting_names)
    public = _public_access(texts)
    for mage in found:
        mage.settings, mage.public = settings, public
    return found[:1] if len({m.image for m in found}) == 1 else found


def _settings(texts: dict[str, str], names: tuple[str, ...]) -> dict[str, tuple[str, int, str]]:
    alternatives = "|".join(map(re.escape, names))
    pair = re.compile(r'name\s*[=:]\s*"(?P<key>%s)"[^{}]{0,200}?value\s*[=:]\s*(?P<value>"[^"\n]*"|[^\s,}]+)' % alternatives,
                      re.S)
    assign = re.compile(r'^\s*"?(?P<key>%s)"?\s*[=:]\s*(?P<value>"[^"\n]*"|[^\s,}]+)' % alternatives, re.M)
    found: dict[str, tuple[str, int, str]] = {}
    for path, text in sorted(texts.items()):
        for regex in (pair, assign):
            for match in regex.finditer(text):
                value = match.group("value")
                value = value[1:-1] if value.startswith('"') else "${" + value + "}"   # an expression
                found.setdefault(match.group("key"), (value, line_at(text, match.start()), path))
    return found


def _public_access(texts: dict[str, str]) -> str | None:
    for text in texts.values():
        for match in _PUBLIC_RE.finditer(text):
            body = match.group("body")
            for member in ("allUsers", "allAuthenticatedUsers"):
                if f'"{member}"' in body:
                    return f"{match.group('type')} grants {member}"
    return None


def modules(paths: list[str]) -> dict[str, list[str]]:
    """Terraform file paths grouped by folder."""
    grouped: dict[str, list[str]] = {}
    for path in paths:
        grouped.setdefault(str(PurePosixPath(path).parent), []).append(path)
    return grouped
