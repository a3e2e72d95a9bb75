"""Names and markers of the schemas that Resguardo itself creates.

Staging schemas (a restore loading) and safety copies (the tenant as it was
before a restore) carry a comment `resguardo:{json}` that says what they are,
for which tenant and since when. The marker, not the name, is what counts:
names are shortened to fit PostgreSQL's 63-byte limit and may collide.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

MARKER_PREFIX = "resguardo:"
STAGING = "staging"
SAFETY_COPY = "safety-copy"
MAX_IDENTIFIER_BYTES = 63


@dataclass(frozen=True)
class SchemaMarker:
    role: str  # STAGING or SAFETY_COPY
    tenant: str  # the tenant schema it belongs to
    created_utc: str  # ISO 8601
    detail: str = ""  # e.g. the archive a restore came from
    original_comment: str | None = None  # the live schema's own comment, given back on swap/undo

    def to_comment(self) -> str:
        payload = {
            "role": self.role, "tenant": self.tenant, "created_utc": self.created_utc,
            "detail": self.detail, "original_comment": self.original_comment,
        }
        return MARKER_PREFIX + json.dumps(payload, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_comment(cls, comment: str | None) -> SchemaMarker | None:
        if not comment or not comment.startswith(MARKER_PREFIX):
            return None
        try:
            data = json.loads(comment[len(MARKER_PREFIX):])
            return cls(
                role=str(data["role"]), tenant=str(data["tenant"]),
                created_utc=str(data["created_utc"]), detail=str(data.get("detail", "")),
                original_comment=data.get("original_comment"),
            )
        except (ValueError, KeyError, TypeError):
            return None


def utc_now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fit(prefix: str, tenant: str) -> str:
    name = prefix + tenant
    while len(name.encode()) > MAX_IDENTIFIER_BYTES:
        tenant = tenant[:-1]
        name = prefix + tenant
    return name


def staging_name(tenant: str) -> str:
    return _fit(f"rg_staging_{secrets.token_hex(3)}_", tenant)


def safety_copy_name(tenant: str, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    return _fit(f"rg_safety_{stamp}_", tenant)
