"""Rules of category ``configuration``: auditkit's own configuration (expired waivers)."""
from __future__ import annotations

from auditkit.engine import Rule, register
from auditkit.engine.run import EXPIRED_WAIVER_RULE
from auditkit.model import Finding


@register
class ExpiredWaiver(Rule):
    """A waiver in auditkit.yaml is past its expiry date.

    What it checks:
        Every waiver with an ``expires`` date earlier than today. The expired waiver no longer
        waives anything: the findings it covered are reported again.

    Why it matters:
        A waiver is a promise to fix something by a date. When the date passes silently,
        exceptions pile up and the audit stops reflecting the team's intent.

    Example:
        ``waivers: [{rule: MAGE-BLK-001, path: "legacy/**", reason: "rewrite", expires: 2024-01-31}]``
        audited on 2024-02-01.

    Fix:
        Fix the waived findings and delete the waiver, or, if the exception is still accepted,
        extend ``expires`` with a fresh reason.
    """

    id = EXPIRED_WAIVER_RULE
    name = "expired-waiver"
    title = "Waiver past its expiry date"
    category = "configuration"
    severity = "medium"
    needs = frozenset()

    def check(self):   # findings come from the configuration, see for_waiver()
        return []

    def for_waiver(self, waiver, path: str | None) -> Finding:
        """The finding for one expired ``waiver`` (the engine calls this; ``path``: the config file)."""
        return self.finding(
            f"{waiver.label()} expired on {waiver.expires.isoformat()}; its findings are reported again",
            key=(waiver.rule, waiver.path, waiver.pipeline, waiver.expires.isoformat()),
            path=path,
            evidence=f"reason given: {waiver.reason}",
        )
