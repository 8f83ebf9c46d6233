"""Rules of category ``security``: committed secrets and files, risky code, server settings, accounts.

They read ``ctx.security`` (a :class:`auditkit.readers.security.SecurityScan`);
account rules also need the run history. Evidence names a kind and a short fingerprint,
never a value.
"""
from auditkit.rules.security import accounts, code, exposure, secrets, server  # noqa: F401
