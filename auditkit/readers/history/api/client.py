"""A read-only HTTP client for Mage's REST API (``requests`` with urllib3 ``Retry``).

It sends only ``GET`` requests, plus one ``POST /api/sessions`` sign-in when an email and a
password are given. Credentials come from environment variables only (never arguments, so
that no command line or notebook parameter ever holds one):

* ``MAGE_API_KEY``: the ``X-API-KEY`` header (OSS ships one public default key, used when unset);
* ``MAGE_API_TOKEN``: a user token, sent as ``Authorization: Bearer``;
* ``MAGE_EMAIL`` + ``MAGE_PASSWORD``: exchanged once at ``POST /api/sessions``. Mage answers with
  a JWT whose payload field ``token`` is the usable bearer token (the JWT itself is refused).

Mage reports errors as HTTP 200 with a body ``{"error": {...}}``: every body is checked and
such an answer raises :class:`ApiError`, as do HTTP errors, unreadable JSON and exhausted
retries. Retries: urllib3 ``Retry`` on the session adapter, GET only, exponential backoff on
502/503/504/500/429, connection errors and read timeouts.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from ..source import display_url

OSS_DEFAULT_API_KEY = "zkWlN0PkIKSN0C11CfUHUj84OT5XOJ6tDZ6bDRO2"   # public: settings/server.py
ENV_API_KEY, ENV_TOKEN, ENV_EMAIL, ENV_PASSWORD = "MAGE_API_KEY", "MAGE_API_TOKEN", "MAGE_EMAIL", "MAGE_PASSWORD"
RETRY_STATUSES = (429, 500, 502, 503, 504)
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0


class ApiError(Exception):
    """A request that gave no usable answer; the message never holds a credential."""


@dataclass
class Credentials:
    """What the environment provides; ``describe()`` names the kind, never a value."""

    api_key: str = field(default=OSS_DEFAULT_API_KEY, repr=False)
    token: str | None = field(default=None, repr=False)
    email: str | None = None
    password: str | None = field(default=None, repr=False)
    api_key_from_env: bool = False

    @classmethod
    def from_env(cls, environ=None) -> Credentials:
        env = os.environ if environ is None else environ
        key = env.get(ENV_API_KEY) or ""
        return cls(api_key=key or OSS_DEFAULT_API_KEY, token=env.get(ENV_TOKEN) or None,
                   email=env.get(ENV_EMAIL) or None, password=env.get(ENV_PASSWORD) or None,
                   api_key_from_env=bool(key))

    def describe(self) -> str:
        kinds = [f"{ENV_API_KEY}" if self.api_key_from_env else "the public OSS API key"]
        if self.token:
            kinds.append(ENV_TOKEN)
        elif self.email and self.password:
            kinds.append(f"{ENV_EMAIL}/{ENV_PASSWORD}")
        return " + ".join(kinds)


def inner_token(jwt: str) -> str:
    """The bearer token inside the JWT that ``POST /api/sessions`` returns (payload ``token``),
    or the JWT itself when its payload has none."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return jwt
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return jwt
    token = payload.get("token") if isinstance(payload, dict) else None
    return token if isinstance(token, str) and token else jwt


class MageClient:
    """GET JSON from one Mage server; counts requests (``requests_sent``, by method)."""

    def __init__(self, url: str, credentials: Credentials | None = None, *, timeout_s: float = READ_TIMEOUT_S,
                 retries: int = 4, backoff_s: float = 0.5) -> None:
        parts = urlsplit(url.strip())
        self.base = urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path.rstrip("/"), "", ""))
        self.label = display_url(url)
        self.credentials = credentials or Credentials.from_env()
        self.timeout = (min(CONNECT_TIMEOUT_S, timeout_s), timeout_s)
        self.requests_sent: dict[str, int] = {"GET": 0, "POST": 0}
        self.session = requests.Session()
        self.session.trust_env = False        # no .netrc credentials, no proxy for a loopback server
        retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff_s,
                      status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                      raise_on_status=False, respect_retry_after_header=True)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"X-API-KEY": self.credentials.api_key, "Accept": "application/json"})
        self._signed_in = False

    def close(self) -> None:
        self.session.close()

    def sign_in(self) -> None:
        """Set the bearer token: ``MAGE_API_TOKEN``, else one ``POST /api/sessions``."""
        if self._signed_in:
            return
        self._signed_in = True
        creds = self.credentials
        token = creds.token
        if not token and creds.email and creds.password:
            body = self._send("POST", "/api/sessions",
                              json={"session": {"email": creds.email, "password": creds.password}})
            session = body.get("session") if isinstance(body, dict) else None
            jwt = session.get("token") if isinstance(session, dict) else None
            if not isinstance(jwt, str) or not jwt:
                raise ApiError("sign-in at /api/sessions gave no token")
            token = inner_token(jwt)
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params: dict | None = None) -> dict:
        """The JSON object at ``path``; :class:`ApiError` for any failure or error body."""
        self.sign_in()
        return self._send("GET", path, params=params)

    def _send(self, method: str, path: str, **kwargs) -> dict:
        self.requests_sent[method] = self.requests_sent.get(method, 0) + 1
        where = f"{method} {path}"
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout,
                                            allow_redirects=False, **kwargs)
        except requests.exceptions.RetryError:
            raise ApiError(f"{where}: the server kept answering with server errors (after retries)") from None
        except requests.exceptions.Timeout:
            raise ApiError(f"{where}: no answer within {self.timeout[1]:g} s (after retries)") from None
        except requests.exceptions.ConnectionError as exc:
            reason = getattr(exc.args[0] if exc.args else None, "reason", None)
            if isinstance(reason, ReadTimeoutError):
                raise ApiError(f"{where}: no answer within {self.timeout[1]:g} s (after retries)") from None
            raise ApiError(f"{where}: cannot connect to the server (after retries)") from None
        except requests.exceptions.RequestException as exc:
            raise ApiError(f"{where}: request failed ({type(exc).__name__})") from None
        if response.status_code >= 500:
            raise ApiError(f"{where}: HTTP {response.status_code} (server error, after retries)")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 300:
            # Mage answers a refused token with HTTP 401 and the same error body as in a 200.
            error = body.get("error") if isinstance(body, dict) else None
            detail = f": {_error_text(error)}" if error else ""
            raise ApiError(f"{where}: HTTP {response.status_code}{detail}")
        if body is None:
            raise ApiError(f"{where}: the answer is not JSON")
        if not isinstance(body, dict):
            raise ApiError(f"{where}: the answer is not a JSON object")
        error = body.get("error")
        if error:
            raise ApiError(f"{where}: Mage answered with an error: {_error_text(error)}")
        return body


def _error_text(error) -> str:
    """Code and message of Mage's error body (cut short; auth failures get a hint)."""
    if not isinstance(error, dict):
        return str(error)[:200]
    code, message = error.get("code"), str(error.get("message") or error.get("type") or "")[:200]
    text = f"{code} {message}".strip()
    if code in (401, 403):
        text += (f" (set {ENV_API_KEY}, and {ENV_TOKEN} or {ENV_EMAIL}/{ENV_PASSWORD}, in the environment; "
                 "user authentication is on by default since Mage 0.9.7x)")
    return text
