"""Credentials passed on a command line (compose ``command:``/``entrypoint:``, Dockerfile ``RUN``,
``CMD``, ``ENTRYPOINT``).

A command line is visible to every user of the host (``ps``, ``/proc/<pid>/cmdline``), is kept
in the container's configuration (``docker inspect``), and for ``RUN`` in the image history.
Recognised: ``mc alias set``/``mc config host add`` (MinIO client: name, URL, access key, secret
key), options named like a password, token, secret or key (``--password X``, ``--password=X``),
``mysql``-style ``-p<password>``, ``aws configure set <secret option> X`` and URLs with a
password (``scheme://user:password@host``). A value is a *reference* (``$VAR``/``${VAR}``,
filled in at run time: still on the command line, but not committed) or a *literal*; only the
kind is kept, never the value.
"""
from __future__ import annotations

import re
import shlex

_SECRET_OPTION = re.compile(r"^--?(?:[a-z0-9]+[-_])*(?:password|passwd|pass|pwd|token|secret|secret[-_]key|api[-_]key|"
                            r"access[-_]key|private[-_]key|auth)$", re.I)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@", re.I)
_AWS_SECRETS = {"aws_secret_access_key", "aws_session_token"}
_NOT_VALUES = {"", "-", "--password-stdin", "stdin"}


def is_reference(value: str) -> bool:
    return value.startswith("$") or value.startswith("{{")


def _words(command: str) -> list[str]:
    try:
        return shlex.split(command, comments=False, posix=True)
    except ValueError:          # unbalanced quotes: split on blanks
        return command.split()


def command_credentials(command: str) -> list[tuple[str, str]]:
    """(how, kind) for each credential on ``command``: how is ``literal`` or ``reference``."""
    return [(how, kind) for how, kind, _value in located_credentials(command)]


def located_credentials(command: str) -> list[tuple[str, str, str]]:
    """(how, kind, value) for each credential on ``command``. The value is only for finding the
    line it sits on in the caller's own text; it must never be stored or shown."""
    found: list[tuple[str, str, str]] = []
    for line in re.split(r"&&|\|\||;|\n", command):
        words = _words(line)
        for index, word in enumerate(words):
            value, kind = _credential_at(words, index, word)
            if value is not None and value not in _NOT_VALUES:
                found.append(("reference" if is_reference(value) else "literal", kind, value))
    return found


def _credential_at(words: list[str], index: int, word: str) -> tuple[str | None, str]:
    following = words[index + 1] if index + 1 < len(words) else ""
    if word == "mc" and words[index + 1:index + 3] in (["alias", "set"], ["config", "host"]):
        offset = 3 if words[index + 1] == "alias" else 4       # mc config host add NAME URL KEY SECRET
        secret = words[index + offset + 3] if len(words) > index + offset + 3 else None
        return secret, "minio client secret key"
    option, _, inline = word.partition("=")
    if _SECRET_OPTION.match(option) and option.startswith("-"):
        value = inline if inline else following
        if value.startswith("-") and not inline:
            return None, ""
        return value, f"{option.lstrip('-')} option"
    if re.fullmatch(r"-p\S+", word) and index > 0 and words[0] in ("mysql", "mysqldump", "mariadb", "mysqladmin"):
        return word[2:], "mysql password option"
    if word == "set" and index >= 2 and words[index - 2:index] == ["aws", "configure"] and following in _AWS_SECRETS:
        return (words[index + 2] if len(words) > index + 2 else None), "aws configure secret"
    url = _URL_PASSWORD.match(word)
    if url:
        return url.group(1), "password in a URL"
    return None, ""
