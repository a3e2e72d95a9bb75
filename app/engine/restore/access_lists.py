"""The statements that give an object an access list: which privileges may be written as SQL, and in which order.

Used by app/engine/restore/ownership.py, which gives a restored schema the live tenant's grants.
"""

from __future__ import annotations

from psycopg import sql

# Privilege names PostgreSQL's aclexplode gives; anything else is never turned into SQL.
PRIVILEGES = {
    "SELECT",
    "UPDATE",
    "INSERT",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
    "EXECUTE",
    "USAGE",
    "CREATE",
    "CONNECT",
    "TEMPORARY",
    "MAINTAIN",
    "SET",
    "ALTER SYSTEM",
}

Grant = tuple[str | None, str, bool]  # (grantee or None for PUBLIC, privilege, with grant option)


def acl_statements(
    target: sql.Composable, current: tuple[Grant, ...], wanted: tuple[Grant, ...], *, revoke: bool = True
) -> list[sql.Composed]:
    """What makes the access list `wanted`, its entries in the same order: PostgreSQL appends each new grantee's
    entry, so after revoking all, grants in the wanted order give that order."""
    statements: list[sql.Composed] = []
    if revoke:
        for grantee in dict.fromkeys(g for g, _, _ in current):
            statements.append(sql.SQL("REVOKE ALL ON {} FROM {}").format(target, role_sql(grantee)))
    runs: list[tuple[str | None, bool, list[str]]] = []  # consecutive privileges of one grantee and option
    for grantee, privilege, option in wanted:
        if privilege not in PRIVILEGES:
            continue
        if runs and runs[-1][:2] == (grantee, option):
            runs[-1][2].append(privilege)
        else:
            runs.append((grantee, option, [privilege]))
    for grantee, option, privileges in runs:
        statements.append(
            sql.SQL("GRANT {} ON {} TO {}{}").format(
                sql.SQL(", ").join(sql.SQL(p) for p in privileges),
                target,
                role_sql(grantee),
                sql.SQL(" WITH GRANT OPTION" if option else ""),
            )
        )
    return statements


def role_sql(role: str | None) -> sql.Composable:
    return sql.SQL("PUBLIC") if role is None else sql.Identifier(role)
