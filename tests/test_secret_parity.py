"""Nothing detect-secrets finds is lost: auditkit reports every (line, secret type) that
detect-secrets' own ``scan_file`` reports, with the same plugins and filters, in every kind of
file auditkit scans.

Tokens are generated here, fresh for each seed, for every pattern plugin of the installed
detect-secrets (a plugin without a generator fails the test), and placed in Python, SQL, YAML
with and without secret-sounding keys, ``.env``, JSON, TOML, compose files, Dockerfiles and
notebooks: one file per token and form, plus one file holding all of them.
"""
from __future__ import annotations

import base64
import json
import os
import random
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditkit.readers.repo import read_repo
from auditkit.readers.security import scan_security
from auditkit.readers.security import extra_plugins
from auditkit.readers.security import secrets as sec

OWN_TYPES = {extra_plugins.BEARER, extra_plugins.ASSIGNMENT}   # auditkit's own plugins: added, never compared

ALNUM = string.ascii_letters + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"


def _pick(rng: random.Random, chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def _b64url_json(doc: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


def _jwt(rng: random.Random) -> str:
    header = _b64url_json({"alg": "HS256", "typ": "JWT"})
    payload = _b64url_json({"sub": _pick(rng, string.digits, 10), "name": _pick(rng, string.ascii_letters, 8)})
    return f"{header}.{payload}.{_pick(rng, ALNUM + '-_', 43)}"


def _public_ip(rng: random.Random) -> str:
    return f"{rng.choice([34, 52, 81, 104, 151])}.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}"


# Plugin class name -> functions making (key, token) pairs: a bare token goes under a neutral
# key; a plugin that needs a keyword before its value names its own key.
GENERATORS = {
    "ArtifactoryDetector": [lambda r: ("partner_1", "AKC" + _pick(r, ALNUM, 14)),
                            lambda r: ("partner_2", "AP" + r.choice("ABCDEF") + _pick(r, ALNUM, 10))],
    "AWSKeyDetector": [lambda r: ("partner_3", "AKIA" + _pick(r, string.ascii_uppercase + string.digits, 16)),
                       lambda r: ("aws_secret_key", _pick(r, ALNUM + "/+", 40))],
    "AzureStorageKeyDetector": [lambda r: ("partner_4", "AccountKey=" + _pick(r, ALNUM + "+/", 86) + "==")],
    "BasicAuthDetector": [lambda r: ("partner_5", f"https://{_pick(r, string.ascii_lowercase, 6)}:"
                                                  f"{_pick(r, ALNUM, 14)}@db.example.net/x")],
    "CloudantDetector": [lambda r: ("cloudant_password", _pick(r, HEX, 64))],
    "DiscordBotTokenDetector": [lambda r: ("partner_6", "M" + _pick(r, ALNUM, 23) + "." + _pick(r, ALNUM, 6)
                                           + "." + _pick(r, ALNUM, 27))],
    "GitHubTokenDetector": [lambda r: ("partner_7", "ghp_" + _pick(r, ALNUM, 36))],
    "GitLabTokenDetector": [lambda r: ("partner_8", "glpat-" + _pick(r, ALNUM, 20))],
    "IbmCloudIamDetector": [lambda r: ("ibm_cloud_iam_key", _pick(r, ALNUM, 44))],
    "IbmCosHmacDetector": [lambda r: ("secret_access_key", _pick(r, HEX, 48))],
    "IPPublicDetector": [lambda r: ("partner_9", _public_ip(r))],
    "JwtTokenDetector": [lambda r: ("partner_10", _jwt(r))],
    "MailchimpDetector": [lambda r: ("partner_11", _pick(r, LOWER_ALNUM, 32) + "-us" + str(r.randint(1, 20)))],
    "NpmDetector": [lambda r: ("partner_12", "//registry.npmjs.org/:_authToken=npm_" + _pick(r, ALNUM, 36))],
    "OpenAIDetector": [lambda r: ("partner_13", "sk-" + _pick(r, ALNUM, 20) + "T3BlbkFJ" + _pick(r, ALNUM, 20))],
    "PrivateKeyDetector": [lambda r: ("partner_14", "-----BEGIN RSA PRIVATE KEY-----" + _pick(r, ALNUM, 20))],
    "PypiTokenDetector": [lambda r: ("partner_15", "pypi-AgEIcHlwaS5vcmc" + _pick(r, ALNUM, 72))],
    "SendGridDetector": [lambda r: ("partner_16", "SG." + _pick(r, ALNUM, 22) + "." + _pick(r, ALNUM, 43))],
    "SlackDetector": [lambda r: ("partner_17", f"xoxb-{r.randint(10**9, 10**10)}-{_pick(r, LOWER_ALNUM, 24)}"),
                      lambda r: ("partner_18", "https://hooks.slack.com/services/T" + _pick(r, ALNUM, 8)
                                 + "/B" + _pick(r, ALNUM, 8) + "/" + _pick(r, ALNUM, 24))],
    "SoftlayerDetector": [lambda r: ("softlayer_api_key", _pick(r, LOWER_ALNUM, 64))],
    "SquareOAuthDetector": [lambda r: ("partner_19", "sq0csp-" + _pick(r, ALNUM, 43))],
    "StripeDetector": [lambda r: ("partner_20", "sk_live_" + _pick(r, ALNUM, 24)),
                       lambda r: ("partner_21", "rk_live_" + _pick(r, ALNUM, 24))],
    "TelegramBotTokenDetector": [lambda r: ("partner_22", str(r.randint(10**8, 10**9)) + ":" + _pick(r, ALNUM, 35))],
    "TwilioKeyDetector": [lambda r: ("partner_23", "AC" + _pick(r, LOWER_ALNUM, 32)),
                          lambda r: ("partner_24", "SK" + _pick(r, LOWER_ALNUM, 32))],
    "KeywordDetector": [lambda r: ("db_password", _pick(r, ALNUM, 18))],
    "Base64HighEntropyString": [lambda r: ("partner_25", _pick(r, ALNUM + "+/", 44))],
    "HexHighEntropyString": [lambda r: ("partner_26", _pick(r, HEX, 40))],
}


def _py(pairs):
    return "import os\n\n" + "".join(f'{key} = "{token}"\n' for key, token in pairs)


def _sql(pairs):
    return "".join(f"-- {key}: '{token}'\nselect '{token}' as {key};\n" for key, token in pairs)


def _yaml(pairs):
    return "settings:\n" + "".join(f"  {key}: {token}\n" for key, token in pairs)


def _yaml_secret_keys(pairs):
    return "connections:\n" + "".join(f"  api_key_{i}: {token}\n  {key}: '{token}'\n"
                                      for i, (key, token) in enumerate(pairs))


def _env(pairs):
    return "".join(f"{key.upper()}={token}\n" for key, token in pairs)


def _json(pairs):
    return json.dumps({key: token for key, token in pairs}, indent=2) + "\n"


def _toml(pairs):
    return "[tool.partner]\n" + "".join(f'{key} = "{token}"\n' for key, token in pairs)


def _compose(pairs):
    return ("services:\n  app:\n    image: example/app:1.2.3\n    environment:\n"
            + "".join(f"      {key.upper()}: {token}\n" for key, token in pairs))


def _dockerfile(pairs):
    return "FROM python:3.11-slim\n" + "".join(f"ENV {key.upper()}={token}\n" for key, token in pairs)


def _notebook(pairs):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": [f'{key} = "{token}"\n' for key, token in pairs]}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


FORMS = {
    "proj/data_loaders/load_partner.py": _py, "proj/transformers/query_partner.sql": _sql,
    "proj/config/partners.yaml": _yaml, "proj/config/connections.yml": _yaml_secret_keys,
    "deploy/partner.env": _env, "deploy/partners.json": _json, "deploy/pyproject.toml": _toml,
    "deploy/docker-compose.yml": _compose, "deploy/Dockerfile": _dockerfile,
    "proj/notebooks/explore.ipynb": _notebook,
}


def _installed_plugins() -> list[str]:
    with sec.GenericSecretScanner() as scanner:
        return sorted(type(plugin).__name__ for plugin in scanner.plugins)


def _detect_secrets_itself(root: Path, rel: str) -> set[tuple[int, str]]:
    """(line, type) that detect-secrets' own scan entry point reports, default plugins and filters."""
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    cwd = os.getcwd()
    os.chdir(root)
    try:
        with default_settings():
            return {(secret.line_number, secret.type) for secret in scan_file(rel)}
    finally:
        os.chdir(cwd)


def _files_for(seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    pairs = {name: [make(rng) for make in makers] for name, makers in GENERATORS.items()}
    files = {}
    for rel, form in FORMS.items():
        everything = [pair for plugin_pairs in pairs.values() for pair in plugin_pairs]
        files[rel] = form(everything)
        for name, plugin_pairs in pairs.items():
            for index, pair in enumerate(plugin_pairs):
                folder, _, file_name = rel.rpartition("/")
                files[f"{folder}/{name.lower()}_{index}/{file_name}"] = form([pair])
    return files


def test_every_installed_pattern_plugin_has_a_token_generator():
    assert set(_installed_plugins()) <= set(GENERATORS), set(_installed_plugins()) - set(GENERATORS)


@pytest.mark.parametrize("seed", [1, 2])
def test_auditkit_reports_everything_detect_secrets_reports(tmp_path, seed):
    from test_security_secrets import make_repo

    files = _files_for(seed)
    repo = make_repo(tmp_path / "repo", files)
    expected = {rel: _detect_secrets_itself(repo, rel) for rel in files}
    # The test is not vacuous: detect-secrets finds every plugin's tokens somewhere (but a
    # public IP, which its own filter drops for having no letter).
    found_types = {t for found in expected.values() for _line, t in found}
    with sec.GenericSecretScanner() as scanner:
        assert found_types == {type(p).secret_type for p in scanner.plugins} - {"Public IP (ipv4)"}
        for rel in files:
            generic = {(row["line"], t) for row in scanner.scan_text(rel, files[rel]) for t in row["types"]
                       if t not in OWN_TYPES}
            assert generic == expected[rel], rel     # the generic scan is detect-secrets' scan, exactly
    # ... and every one of those reaches the audit's secrets frame (one row per secret and place).
    frame = scan_security(read_repo(repo)).secrets
    reported = {(path, int(line), t) for path, line, types in zip(frame["path"], frame["line"], frame["types"])
                for t in types}
    missing = [(rel, line, t) for rel, found in expected.items() for line, t in found
               if (rel, line, t) not in reported]
    assert missing == []


_LINES = [
    'partner_1 = "AKC{a}"', "partner: AKIA{A}", 'aws_secret_key = "{b}{b}"', "url: https://u:{a}@h/x",
    'password = "{a}"', "db_pass: {a}", "  - token: ghp_{a}{a}", 'x = "{h}{h}"', "y: {b}{b}", "Z={b}{b}",
    "# pragma: allowlist nextline secret", 'k = "{a}"  # pragma: allowlist secret', "[section]", "key = {b}{b}",
    "- item", "{{", '"k": "{b}{b}"', "secret = get_secret('x')", "---", "a: |", "  {b}{b}", "  ", "",
]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=10),
       st.sampled_from(["x.py", "c.yaml", "n.sql", ".env", "d.json", "t.toml", "Dockerfile", "notes.md", "s.ini"]),
       st.randoms(use_true_random=False))
def test_random_files_match_detect_secrets(tmp_path_factory, lines, name, rng):
    """Random mixes of lines (ini sections, YAML documents, pragmas, indirect references) give
    exactly detect-secrets' own result."""
    fill = {"a": _pick(rng, ALNUM, 20), "A": _pick(rng, string.ascii_uppercase + string.digits, 16),
            "b": _pick(rng, ALNUM + "+/", 22), "h": _pick(rng, HEX, 20)}
    text = "\n".join(line.replace("{{", "\0").format(**fill).replace("\0", "{{") for line in lines) + "\n"
    root = tmp_path_factory.mktemp("ds")
    (root / name).write_text(text)
    assert _compared(name, text) == _detect_secrets_itself(root, name)


def _compared(name: str, text: str, shortcut: bool = True) -> set[tuple[int, str]]:
    """(line, type) of our generic scan; with the YAML shortcut, plus every hit the slow path
    finds and the audit drops anyway (the shortcut may skip those, nothing else)."""
    from auditkit.readers.security.quiet import DROPPED

    with sec.GenericSecretScanner() as scanner:
        ours = {(row["line"], t) for row in scanner.scan_text(name, text) for t in row["types"] if t not in OWN_TYPES}
        if shortcut and scanner._yaml_needs_no_transformer(name, text):
            scanner._yaml_needs_no_transformer = lambda *_: False
            slow = scanner.scan_text(name, text)
            assert all(row["quiet"] in DROPPED for row in slow), slow     # nothing reportable was skipped
            ours |= {(row["line"], t) for row in slow for t in row["types"] if t not in OWN_TYPES}
    return ours


def _all_probes():
    from auditkit.readers.security import gates

    with sec.GenericSecretScanner() as scanner:
        return [(type(plugin).__name__, item) for plugin in scanner.plugins
                for item in (gates.plugin_probes(plugin) or [])]


@pytest.mark.parametrize("name, item", _all_probes(), ids=lambda x: x if isinstance(x, str) else "")
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_probe_literals_are_in_every_match(name, item, data):
    """Every string a plugin's pattern matches holds one of the literals its probe looks for."""
    if item.literals is None:
        return
    text = data.draw(st.from_regex(item.pattern, fullmatch=False))
    match = item.pattern.search(text)
    if match is None:     # from_regex can draw text the pattern only matches with other flags
        return
    assert any(literal in match.group(0).lower() for literal in item.literals), (name, item.literals)


_INI_LINES = ["[section]", "[ s ]", "key = value", "key: value", "  indented", "plain words", "# comment",
              "; comment", "", "   ", "=", ":", "[", "]", "a=b:c", "\tkey = v", "[x] trailing", "dup = 1", "dup = 2"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_INI_LINES), max_size=8), st.booleans())
def test_ini_shortcut_skips_only_what_configparser_rejects(lines, with_header):
    """The shortcut in front of detect-secrets' ini transformers skips a text only when the
    transformer itself raises ParsingError on it."""
    from detect_secrets.transformers import ParsingError
    from detect_secrets.transformers.config import ConfigFileTransformer, EagerConfigFileTransformer

    text = "\n".join(lines) + "\n"
    if not sec.ini_cannot_parse(text, with_header=with_header):
        return
    transformer = EagerConfigFileTransformer() if with_header else ConfigFileTransformer()
    with pytest.raises(ParsingError):
        transformer.parse_file(sec._NamedText(text, "x.conf"))


_YAML_LINES = ["a: @a@", "b: '@b@@b@'", 'c: "@h@@h@" # note @a@', "d: |", "  @b@@b@", "  AKIA@A@", "e: >",
               "  folded @b@", "f: !!binary aGVsbG8gd29ybGQ=", "- @b@@b@", "g:", "  - password: @a@", "h: &x @b@@b@",
               "i: *x", "j: {k: @b@@b@}", "# secret: @a@", "k: [1, '@h@@h@']", "password: x", "l: null", "---",
               "m: ghp_@a@@a@", "uuid: grp/@b@@b@", "  name: @b@@b@", "n: 'it''s @b@'", "o: \"esc\\x41@a@\"", "p: 123", "  bad: indent"]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(_YAML_LINES), min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_yaml_shortcut_skips_only_files_detect_secrets_finds_nothing_in(tmp_path_factory, lines, rng):
    fill = {"a": _pick(rng, ALNUM, 20), "A": _pick(rng, string.ascii_uppercase + string.digits, 16),
            "b": _pick(rng, ALNUM + "+/", 22), "h": _pick(rng, HEX, 20)}
    text = "\n".join(lines) + "\n"
    for name, value in fill.items():
        text = text.replace(f"@{name}@", value)
    root = tmp_path_factory.mktemp("yaml")
    (root / "c.yaml").write_text(text)
    assert _compared("c.yaml", text) == _detect_secrets_itself(root, "c.yaml")
