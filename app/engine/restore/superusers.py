"""Keep administrator accounts across a restore, so the person who restored can still log in.

The user table is the tenant table with an `is_superuser` column (or the one a
profile names). Every account that is a superuser in the live tenant is, after
the restore, present with its current row (password hash included):
- same primary key and same account (username, else email) in the restored
  rows: that row takes the live values;
- absent from the restored rows: the live row is inserted;
- same primary key for another account, or the same account under another key:
  a conflict, reported instead of guessed (the restore refuses; the user may
  turn "keep today's administrator accounts" off).
Rows that point at the account (group memberships, ...) are not carried over.

Writing the rows runs the tenant's own code (triggers, checks), so it happens in the
restore's session with the owner's rights, before the swap; the swap, which holds the
live tables locked, then checks that the live accounts are still exactly those rows
(`live_snapshot`), and has them written again if a password changed meanwhile.
What a superuser's session reads of the user table (the swap's check, the preview's list) runs none
of the owner's code: no cast (`::text`, `to_jsonb` call the owner's casts of its own types), only the
columns' output functions; from the table locked first, so that it is still a table (not a view put in
its place) whose flag is a plain boolean (not a type with the owner's cast to boolean).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from app.engine.catalog.schema_oids import IN_SCHEMA, by_name
from app.engine.errors import PreflightError, RestoreFailed, UsageError
from app.engine.output_settings import pin
from app.engine.safety.relation_guard import lock_tables, plain_table

FLAG_COLUMN = "is_superuser"
ACCOUNT_COLUMNS = ("username", "email")


@dataclass(frozen=True)
class UserTable:
    name: str
    key: str  # single-column primary key
    account: str  # username or email
    columns: list[str]  # columns the live and restored tables share


@dataclass
class KeepPlan:
    table: UserTable | None
    update: list[dict[str, Any]] = field(default_factory=list)
    insert: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    snapshot: list[str] = field(default_factory=list)  # the live accounts' rows the plan was made from

    @property
    def accounts(self) -> list[str]:
        if self.table is None:
            return []
        return sorted(str(r[self.table.account]) for r in [*self.update, *self.insert])


def find_user_table(conn: psycopg.Connection, schema: str, override: str | None = None) -> str | None:
    """The table of `schema` with an is_superuser column; None when there is none."""
    name = override.split(".")[-1].strip().strip('"') if override and override.strip() else None
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = %(flag)s AND NOT a.attisdropped"
        " AND a.atttypid = 'pg_catalog.bool'::pg_catalog.regtype"
        f" WHERE c.oid = ANY({by_name(IN_SCHEMA)}) AND c.relkind IN ('r', 'p')"  # by index: no pass over pg_class
        " AND (%(name)s::text IS NULL OR c.relname = %(name)s) ORDER BY c.relname",
        {"flag": FLAG_COLUMN, "schema": schema, "name": name},
    ).fetchall()
    if name is not None and not rows:
        raise UsageError(
            f"The user table {override!r} set in the profile has no boolean {FLAG_COLUMN} column in {schema!r}."
        )
    if len(rows) > 1:
        names = ", ".join(r[0] for r in rows)
        raise UsageError(
            f"Several tables of {schema!r} have an {FLAG_COLUMN} column ({names}); name the user "
            "table in the profile, or restore without keeping today's administrator accounts."
        )
    return rows[0][0] if rows else None


def live_superusers(conn: psycopg.Connection, live: str, override: str | None = None) -> list[str]:
    """Accounts the restore will keep (for the preview)."""
    table = find_user_table(conn, live, override)
    if table is None:
        return []
    account = _account_column(conn, live, table)
    if account is None:
        return []
    _lock_plain(conn, live, table)
    return sorted(
        str(r[0])
        for r in conn.execute(
            sql.SQL("SELECT u.{} FROM {} u WHERE u.{}").format(
                sql.Identifier(account), sql.Identifier(live, table), sql.Identifier(FLAG_COLUMN)
            )
        ).fetchall()
    )


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0"
            " AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum",
            [sql.Identifier(schema, table).as_string(conn)],
        ).fetchall()
    ]


def _account_column(conn: psycopg.Connection, schema: str, table: str) -> str | None:
    columns = _columns(conn, schema, table)
    return next((c for c in ACCOUNT_COLUMNS if c in columns), None)


def _primary_key(conn: psycopg.Connection, schema: str, table: str) -> str | None:
    rows = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
        " WHERE i.indrelid = %s::regclass AND i.indisprimary",
        [sql.Identifier(schema, table).as_string(conn)],
    ).fetchall()
    return rows[0][0] if len(rows) == 1 else None


def plan_keep(conn: psycopg.Connection, live: str, staging: str, override: str | None = None) -> KeepPlan:
    """What keeping the live superusers means for the restored rows; conflicts listed, nothing written."""
    name = find_user_table(conn, live, override)
    if name is None:
        return KeepPlan(None)
    if find_user_table(conn, staging, name) is None:
        return KeepPlan(None, conflicts=[f"the restored tenant has no table {name} to keep the administrators in"])
    key, account = _primary_key(conn, live, name), _account_column(conn, live, name)
    restored_columns = set(_columns(conn, staging, name))
    if key is None or account is None or account not in restored_columns:
        return KeepPlan(None, conflicts=[f"{name} has no single-column primary key and username/email column"])
    shared = [c for c in _columns(conn, live, name) if c in restored_columns]
    table = UserTable(name, key, account, shared)
    plan = KeepPlan(table)
    plan.snapshot = live_snapshot(conn, live, name)  # first: it refuses a table whose policies hide rows
    live_rows = _live_rows(conn, live, name)
    staged = plain_table(conn, staging, name)
    if staged is not None:
        every_row_visible(conn, staging, name, staged.oid)
    for row in live_rows:
        found = conn.execute(
            sql.SQL(
                "SELECT u.{key}::text, u.{acc}::text FROM {t} u WHERE u.{key}::text = %s"
                " OR lower(u.{acc}::text) = lower(%s)"
            ).format(key=sql.Identifier(key), acc=sql.Identifier(account), t=sql.Identifier(staging, name)),
            [str(row[key]), str(row[account])],
        ).fetchall()
        same_key = [f for f in found if f[0] == str(row[key])]
        same_account = [f for f in found if f[1].lower() == str(row[account]).lower()]
        if same_key and same_key[0][1].lower() != str(row[account]).lower():
            plan.conflicts.append(f"{row[account]} has {key} {row[key]}, which the backup gives to {same_key[0][1]}")
        elif same_account and same_account[0][0] != str(row[key]):
            plan.conflicts.append(f"{row[account]} has {key} {row[key]} now but {same_account[0][0]} in the backup")
        elif same_key:
            plan.update.append(row)
        else:
            plan.insert.append(row)
    return plan


def _live_rows(conn: psycopg.Connection, live: str, table: str) -> list[dict[str, Any]]:
    """The live administrators' rows. Read with no operator, ordering or function of the tenant's, so a
    superuser's session may read them without running the tenant's code."""
    rows: list[dict[str, Any]] = [
        r[0]
        for r in conn.execute(
            sql.SQL("SELECT to_jsonb(u) FROM {} u WHERE u.{}").format(
                sql.Identifier(live, table), sql.Identifier(FLAG_COLUMN)
            )
        ).fetchall()
    ]
    return sorted(rows, key=_json)


def live_snapshot(conn: psycopg.Connection, live: str, table: str) -> list[str]:
    """The live administrators' rows as their columns' output functions write them; the swap compares this
    with `KeepPlan.snapshot` while it holds the live tables. Runs none of the owner's code. `last_login` is left
    out: Django writes it at every sign-in, and an administrator signing in during the restore changes nothing
    the restore keeps (a password does), but would make the swap copy the accounts again, and again."""
    relation = _lock_plain(conn, live, table)
    pin(conn)  # the output functions' settings, fixed: the two sessions that take a snapshot write rows alike
    columns = [
        sql.SQL("u.{}").format(sql.Identifier(str(r[0])))
        for r in conn.execute(
            "SELECT a.attname FROM pg_catalog.pg_attribute a WHERE a.attrelid = %s AND a.attnum > 0"
            " AND NOT a.attisdropped AND a.attname OPERATOR(pg_catalog.<>) 'last_login' ORDER BY a.attnum",
            [relation],
        ).fetchall()
    ]
    return sorted(
        str(r[0])
        for r in conn.execute(
            sql.SQL("SELECT ROW({}) FROM {} u WHERE u.{}").format(
                sql.SQL(", ").join(columns), sql.Identifier(live, table), sql.Identifier(FLAG_COLUMN)
            )
        ).fetchall()
    )


def _lock_plain(conn: psycopg.Connection, live: str, table: str) -> int:
    """Lock the user table, check that its name still names the table resolved just before (not a view put in its
    place while the lock waited: app/engine/safety/relation_guard.py), then that its flag is boolean: once locked,
    no one can swap it or change the flag's type until the transaction ends. Its oid."""
    relation = plain_table(conn, live, table)
    boolean = False
    if relation is not None:
        lock_tables(conn, [relation])
        boolean = conn.execute(
            "SELECT a.atttypid = 'pg_catalog.bool'::pg_catalog.regtype FROM pg_catalog.pg_attribute a"
            " WHERE a.attrelid = %s AND a.attname = %s AND a.attnum > 0 AND NOT a.attisdropped",
            [relation.oid, FLAG_COLUMN],
        ).fetchone() == (True,)
    if relation is None or not boolean:
        raise RestoreFailed(
            f"The table {live}.{table} changed while Resguardo read it: it is no longer a table with "
            f"a boolean {FLAG_COLUMN} column."
        )
    every_row_visible(conn, live, table, relation.oid)
    return relation.oid


def every_row_visible(conn: psycopg.Connection, schema: str, table: str, oid: int) -> None:
    """Refuse when row-level security applies to this session on the accounts table (its FORCE ROW LEVEL
    SECURITY, which holds for the owner and its members too): the administrators read would be those its
    policies show, and an account hidden from them would silently not be kept. Called with the table locked:
    FORCE and policies cannot change until the transaction ends."""
    applies = conn.execute(  # FORCE: a superuser's preview says what the restore's owner-rights session will meet
        "SELECT pg_catalog.row_security_active(c.oid) OR (c.relrowsecurity AND c.relforcerowsecurity)"
        " FROM pg_catalog.pg_class c WHERE c.oid = %s::pg_catalog.oid",
        [oid],
    ).fetchone()
    if applies == (True,):
        raise PreflightError(
            f"The accounts table {schema}.{table} has row-level security that applies to the restore "
            "(FORCE ROW LEVEL SECURITY), so it cannot see every administrator account it would keep; restore "
            "without keeping them, to take the backup's accounts as they are."
        )


def refuse_conflicts(plan: KeepPlan) -> None:
    if plan.conflicts:
        raise RestoreFailed(
            "Cannot keep today's administrator accounts: "
            + "; ".join(plan.conflicts)
            + ". Restore without keeping them to take the backup's accounts as they are."
        )


def apply_keep(conn: psycopg.Connection, staging: str, plan: KeepPlan) -> None:
    """Write the live superusers' rows into the restored user table."""
    t = plan.table
    if t is None:
        return
    target = sql.Identifier(staging, t.name)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in t.columns)
    record = sql.SQL("jsonb_populate_record(NULL::{}, %s::jsonb)").format(target)
    for row in plan.update:
        conn.execute(
            sql.SQL("UPDATE {} SET ({}) = (SELECT {} FROM {}) WHERE {}::text = %s").format(
                target, cols, cols, record, sql.Identifier(t.key)
            ),
            [_json(row), str(row[t.key])],
        )
    for row in plan.insert:
        conn.execute(
            sql.SQL("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {}").format(target, cols, cols, record),
            [_json(row)],
        )


def _json(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True)
