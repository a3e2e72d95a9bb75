"""Names of the schemas that Resguardo itself creates: staging schemas and safety copies.

The name alone proves nothing (a schema's owner may rename it); what a schema is, and for which
tenant, is in Resguardo's record (app/engine/safety/registry.py), which checks the name as one more
condition. Names are shortened to fit PostgreSQL's 63-byte limit, so they may collide.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

STAGING_PREFIX = "rg_staging_"
SAFETY_PREFIX = "rg_safety_"
MAX_IDENTIFIER_BYTES = 63


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fit(prefix: str, tenant: str) -> str:
    name = prefix + tenant
    while len(name.encode()) > MAX_IDENTIFIER_BYTES:
        tenant = tenant[:-1]
        name = prefix + tenant
    return name


def staging_name(tenant: str) -> str:
    return _fit(f"{STAGING_PREFIX}{secrets.token_hex(3)}_", tenant)


def safety_copy_name(tenant: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    return _fit(f"{SAFETY_PREFIX}{stamp}_", tenant)


def safety_copy_stamp(name: str, tenant: str) -> datetime | None:
    """When `name` says it was made, if it is `tenant`'s safety-copy name (the reverse of safety_copy_name)."""
    try:
        stamp = datetime.strptime(name[len(SAFETY_PREFIX) : len(SAFETY_PREFIX) + 14], "%Y%m%d%H%M%S")
    except ValueError:
        return None
    stamp = stamp.replace(tzinfo=UTC)
    return stamp if safety_copy_name(tenant, stamp) == name else None
