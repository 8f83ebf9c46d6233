"""Shared base of the security rules: access to the security scan and practice ids."""
from __future__ import annotations

from typing import Iterator

from auditkit.engine.base import Rule
from auditkit.engine.frames import rows

SECRETS = ("BP-SECURITY-SECRETS",)
AUTH = ("BP-SECURITY-AUTHENTICATION",)
CODE = ("BP-SECURITY-CODE",)


class SecurityRule(Rule):
    """Shared access to the security scan."""

    category = "security"
    needs = frozenset({"security"})

    @property
    def scan(self):
        return self.ctx.security

    def frame_rows(self, name: str, **equals) -> Iterator[dict]:
        frame = getattr(self.scan, name)
        for column, wanted in equals.items():
            values = wanted if isinstance(wanted, (set, tuple, list)) else (wanted,)
            frame = frame[frame[column].isin(values)]
        yield from rows(frame)


