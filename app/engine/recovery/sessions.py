"""The sessions of a recovery or its undo, as a restore has them (docs/restore.md, docs/security.md).

- the user's own session: checks the clinic, holds the clinic's job lock to the end, runs nobody's code;
- an observer (autocommit), which the isolation proof compares with;
- one load session signed in with the clinic owner's rights and no more (app/engine/safety/load_login.py):
  the only one that writes the clinic's tables, so the owner's triggers, checks and defaults run with the
  owner's rights, never the user's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import psycopg

from app.engine.connection import ConnectionTarget
from app.engine.errors import PreflightError
from app.engine.recovery.record import database_id
from app.engine.restore.checks import RestoreTarget, acts_as, check_tenant
from app.engine.safety.load_login import load_login
from app.engine.safety.locks import tenant_lock
from app.engine.safety.proven import Witness


@dataclass(frozen=True)
class Sessions:
    user: psycopg.Connection
    observer: psycopg.Connection
    load: psycopg.Connection
    witness: Witness
    tenant: RestoreTarget
    tenant_oid: int
    database: str  # app/engine/recovery/record.py's database id


def database_of(conn: psycopg.Connection) -> str:
    row = conn.execute(
        "SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()"
    ).fetchone()
    assert row is not None
    info = conn.info
    return database_id(info.host, info.port, info.dbname, int(row[0]))


@contextmanager
def recovery_sessions(target: ConnectionTarget, schema: str, tenants_table: str | None) -> Iterator[Sessions]:
    """The three sessions, the clinic checked and its job lock held; PreflightError when the user may not."""
    with ExitStack() as stack:
        user = stack.enter_context(target.connect())
        observer = stack.enter_context(target.connect(autocommit=True))
        tenant = check_tenant(user, schema, tenants_table)
        if tenant.live is None:
            raise PreflightError(
                f"The clinic {schema!r} has no schema in this database; there is nothing to recover into."
            )
        superuser = user.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()
        if not (superuser and superuser[0]) and not acts_as(user, tenant.owner):
            raise PreflightError(
                f"Only the owner of {schema!r} ({tenant.owner}) or a superuser can recover its records; "
                "connect as one of them."
            )
        database = database_of(user)
        user.rollback()
        stack.enter_context(tenant_lock(user, schema))
        login = stack.enter_context(load_login(user, target, tenant.owner))
        load = stack.enter_context(login.connect())
        yield Sessions(
            user,
            observer,
            load,
            Witness(observer, user.info.backend_pid, schema),
            tenant,
            tenant.live.oid,
            database,
        )
