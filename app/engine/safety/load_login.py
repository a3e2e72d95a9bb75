"""Sessions with no more rights than a tenant's owner, for everything that runs a file's SQL or tenant code.

`SET ROLE` is no boundary in a superuser's session: the SQL it guards can `RESET ROLE`. A session
*authenticated* as a lesser role is. So a file's statements, and everything that makes the tenant's
own code run (COPY into tables with triggers or checks, index builds, the keep-administrators
update), go through sessions signed in:
- as the owner itself, when that is who the user connected as (the web application's role); or
- as a temporary login role `rg_load_<hex>` made for this job by a user who may create roles (a
  superuser): member of the owner's role only, a random password sent as a SCRAM verifier (never
  in clear, never stored), valid for a day, dropped afterwards; expired leftovers of killed runs are
  dropped by the next job. The server's pg_hba.conf must let it sign in from this computer
  (docs/security.md); when it does not, the job stops before changing anything and says so.
Anyone else (a role that is neither the owner nor able to create roles) is refused: its own rights
may exceed the owner's, and a restore cannot prove they don't.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.connection import ConnectionTarget
from app.engine.errors import ConnectionFailed, PreflightError

LOAD_ROLE_PREFIX = "rg_load_"
LOAD_GROUP = "resguardo_load"  # when it exists, temporary roles join it so pg_hba.conf can name them
_ROLE_COMMENT = "Resguardo: temporary sign-in with a clinic owner's rights, for one restore"
_VALID_FOR = timedelta(days=1)
# The role's CREATE and DROP commit without waiting for the disk: a crash can lose the CREATE only with the job's
# own sessions (it then fails, changing nothing), and bring back a dropped role, which expires within a day and
# a later job drops (drop_expired_roles).
_NO_FLUSH = "SELECT pg_catalog.set_config('synchronous_commit', 'off', true)"


@dataclass(frozen=True)
class LoadLogin:
    """How to open a session with the owner's rights, and nothing more."""

    target: ConnectionTarget
    owner: str
    temporary_role: str | None  # None: the user is the owner and signs in as itself
    # The session that proved the temporary role may sign in, kept as the first one asked for (a sign-in with a
    # SCRAM password costs both sides its key derivation, and the server a new process).
    checked: list[psycopg.Connection] = field(default_factory=list, compare=False, repr=False)

    def connect(self) -> psycopg.Connection:
        if self.checked:
            return self.checked.pop()
        conn = self.target.connect(owner_rights=True)  # the owner's rights: it may read the owner's views
        if self.temporary_role is not None:
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self.owner)))  # objects owned right
            conn.commit()
        return conn

    def describe(self) -> str:
        return self.owner if self.temporary_role is None else f"{self.temporary_role} (member of {self.owner})"


def refuse_superuser_owner(conn: psycopg.Connection, owner: str) -> None:
    row = conn.execute("SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = %s", [owner]).fetchone()
    if row is None:
        raise PreflightError(f"The clinic's owner role {owner!r} does not exist on this server.")
    if row[0]:
        raise PreflightError(
            f"The clinic's data belongs to {owner!r}, a superuser; Resguardo runs a backup file's SQL only with "
            "the rights of the clinic's owner, and a superuser's rights are unlimited. Give the clinic's schema "
            "to the web application's own (non-superuser) role first."
        )


@contextmanager
def load_login(conn: psycopg.Connection, target: ConnectionTarget, owner: str) -> Iterator[LoadLogin]:
    """The sign-in for the job's restricted sessions; `conn` is the user's own (autocommit) session."""
    refuse_superuser_owner(conn, owner)
    me, superuser, createrole = conn.execute(
        "SELECT r.rolname, r.rolsuper, r.rolcreaterole FROM pg_catalog.pg_roles r WHERE r.rolname = session_user"
    ).fetchone() or (None, False, False)
    conn.commit()  # each change below is committed on its own: the role must exist for its first sign-in
    if me == owner:
        yield LoadLogin(target, owner, None)
        return
    if not (superuser or createrole):
        raise PreflightError(
            f"Connected as {me!r}, which is neither the clinic's owner ({owner}) nor allowed to create roles; "
            f"connect as {owner} or as a superuser."
        )
    drop_expired_roles(conn)
    role = LOAD_ROLE_PREFIX + secrets.token_hex(6)
    password = secrets.token_urlsafe(32)
    login = LoadLogin(
        ConnectionTarget(make_conninfo(target.conninfo, user=role), password, target.connect_timeout), owner, role
    )
    _create_role(conn, role, password, owner)
    try:
        login.checked.append(_check_sign_in(login, target))
        yield login
    finally:
        for unused in login.checked:
            unused.close()
        _drop_role(conn, role)


def _create_role(conn: psycopg.Connection, role: str, password: str, owner: str) -> None:
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    until = (datetime.now(UTC) + _VALID_FOR).strftime("%Y-%m-%d %H:%M:%S+00")
    groups = [sql.Identifier(owner)]
    if conn.execute("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = %s", [LOAD_GROUP]).fetchone():
        groups.append(sql.Identifier(LOAD_GROUP))
    try:
        conn.execute(_NO_FLUSH)
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                " CONNECTION LIMIT 8 VALID UNTIL {} PASSWORD {} IN ROLE {}"
            ).format(sql.Identifier(role), sql.Literal(until), sql.Literal(verifier), sql.SQL(", ").join(groups))
        )
        conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(sql.Identifier(role), sql.Literal(_ROLE_COMMENT)))
        conn.commit()
    except psycopg.errors.InsufficientPrivilege as exc:
        conn.rollback()
        raise PreflightError(
            f"This user may not make a temporary sign-in with {owner!r}'s rights (it would need to grant "
            f"membership in {owner}); connect as {owner} or as a superuser.",
            str(exc),
        ) from None


def _check_sign_in(login: LoadLogin, user_target: ConnectionTarget) -> psycopg.Connection:
    """The temporary role's first session, or the sentence that says how to let it sign in."""
    try:
        return login.connect()
    except ConnectionFailed as exc:
        raise PreflightError(
            f"The server did not let Resguardo sign in as a temporary user with only the clinic owner's rights "
            f"({login.owner}). Allow password sign-in for it in pg_hba.conf (for example "
            f"'host all +{LOAD_GROUP} <this computer>/32 scram-sha-256', with a role {LOAD_GROUP} created once), "
            f"or connect as {login.owner} ({user_target.describe()}). See docs/security.md.",
            exc.details or exc.message,
        ) from None


def _drop_role(conn: psycopg.Connection, role: str) -> None:
    """Best effort: an expired role that could not be dropped now is dropped by a later job."""
    if conn.closed or conn.broken:
        return
    try:
        conn.rollback()  # whatever the job left open
        conn.execute(_NO_FLUSH)
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        conn.commit()
    except psycopg.Error:
        with suppress(psycopg.Error):
            conn.rollback()


def drop_expired_roles(conn: psycopg.Connection) -> None:
    """Temporary roles of killed jobs: only Resguardo's (name, comment), only once they can no longer sign in."""
    rows = conn.execute(
        "SELECT r.rolname FROM pg_catalog.pg_roles r JOIN pg_catalog.pg_shdescription d"
        " ON d.objoid = r.oid AND d.classoid = 'pg_catalog.pg_authid'::pg_catalog.regclass"
        " WHERE pg_catalog.starts_with(r.rolname, %s) AND d.description = %s"
        " AND r.rolvaliduntil < pg_catalog.now()"
        " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.usename = r.rolname)",
        [LOAD_ROLE_PREFIX, _ROLE_COMMENT],
    ).fetchall()
    conn.commit()
    for (role,) in rows:
        _drop_role(conn, role)
