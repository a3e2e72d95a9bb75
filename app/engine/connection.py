"""How the engine reaches a server: a target that holds the password in memory only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.engine.errors import ConnectionFailed, first_line

APPLICATION_NAME = "resguardo"
# Every session of Resguardo's starts immune to objects a tenant's owner may create: names resolve in
# pg_catalog (and this session's own temporary schema, last), never in public or a tenant's schema, so a
# tenant's operator `=(oid, integer)` or function `hashtext(text)` is never picked by Resguardo's own SQL.
# JIT off: the catalog queries are small, and JIT made them 20x slower (PostgreSQL 15, 1,000 tenants).
# No wait without a limit: a statement waiting for a lock gives up after 30 s (steps that must not make
# the web application wait, such as the swap, wait far less).
# Strings read as the SQL gate (pglast) read them, whatever a database or role default says.
SESSION_OPTIONS = "-c search_path=pg_catalog,pg_temp -c jit=off -c lock_timeout=30s -c standard_conforming_strings=on"
# A view or foreign table that a clinic's owner put where Resguardo reads a table (CVE-2024-7348's class) raises
# an error instead of running the owner's functions with more rights than its own. Set after connecting, where
# the server has the setting (an unknown one in the startup options would refuse the connection); the minor
# releases of August 2024 added it. app/engine/safety/relation_guard.py protects the servers without it.
RESTRICT_RELATION_KINDS = "view, foreign-table"
_RESTRICT_SINCE = {12: 20, 13: 16, 14: 13, 15: 8, 16: 4}  # major -> first minor with the setting; 17+ all


def has_relation_kind_setting(server_version: int) -> bool:
    """Whether a server (`server_version_num`) has `restrict_nonsystem_relation_kind`."""
    major, minor = divmod(server_version, 10000)
    return major >= 17 or minor >= _RESTRICT_SINCE.get(major, 10000)


@dataclass(frozen=True)
class ConnectionTarget:
    """A server and database to connect to.

    `conninfo` never carries the password: it is safe to log and to hand to
    pg_dump's command line. The password, when there is one, travels separately
    (psycopg keyword, or PGPASSWORD in a child's environment).
    """

    conninfo: str
    password: str | None = field(default=None, repr=False)
    connect_timeout: int = 10

    @classmethod
    def from_dsn(cls, dsn: str, password: str | None = None) -> ConnectionTarget:
        """Split a URI or key=value string into a password-free conninfo and the password."""
        try:
            params = conninfo_to_dict(dsn)
        except psycopg.ProgrammingError as exc:  # libpq's message may quote the string, password and all
            why = without_passwords(str(exc).strip(), dsn)
            raise ConnectionFailed(f"The connection string is not valid: {why}.") from None
        dsn_password = params.pop("password", None)
        return cls(make_conninfo("", **params), password or (str(dsn_password) if dsn_password is not None else None))

    @property
    def params(self) -> dict[str, str]:
        return {k: str(v) for k, v in conninfo_to_dict(self.conninfo).items()}

    @property
    def dbname(self) -> str:
        return self.params.get("dbname", "")

    def with_dbname(self, dbname: str) -> ConnectionTarget:
        return ConnectionTarget(make_conninfo(self.conninfo, dbname=dbname), self.password, self.connect_timeout)

    def describe(self) -> str:
        """`user@host:port/db`, for status bars and log lines."""
        p = self.params
        host = p.get("host", "localhost")
        port = p.get("port", "5432")
        return f"{p.get('user', '')}@{host}:{port}/{p.get('dbname', '')}"

    def connect(self, *, autocommit: bool = False, owner_rights: bool = False) -> psycopg.Connection:
        """Open a connection, or raise ConnectionFailed with a sentence saying why.

        `owner_rights`: the session is signed in with no more rights than the clinic's owner (a load session);
        it may use the owner's views like the owner does, so it does not restrict relation kinds."""
        given = self.params.get("options", "")
        params: dict[str, str | int] = {
            "application_name": APPLICATION_NAME,
            "connect_timeout": self.connect_timeout,
            "options": f"{given} {SESSION_OPTIONS}".strip(),  # ours last: they win over the profile's
        }
        if self.password is not None:
            params["password"] = self.password
        try:
            conn = psycopg.connect(make_conninfo(self.conninfo, **params), autocommit=True)
        except psycopg.OperationalError as exc:
            raise ConnectionFailed(explain_connection_error(exc, self), str(exc).strip()) from None
        try:
            if not owner_rights and has_relation_kind_setting(conn.info.server_version):
                conn.execute(  # outside a transaction: one round trip, and no rollback can undo it
                    "SELECT pg_catalog.set_config('restrict_nonsystem_relation_kind', %s, false)",
                    [RESTRICT_RELATION_KINDS],
                )
        except psycopg.Error as exc:
            conn.close()
            raise ConnectionFailed(f"Could not prepare the session on {self.describe()}: {first_line(exc)}") from None
        conn.autocommit = autocommit
        return conn

    def child_env(self) -> dict[str, str]:
        """Environment for a libpq client tool; the password never goes on its command line."""
        env = {
            "PGAPPNAME": APPLICATION_NAME,
            "PGCONNECT_TIMEOUT": str(self.connect_timeout),
            "PGOPTIONS": "-c jit=off",
        }  # pg_dump sets its own search_path and lock waits
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env


# Where a password may sit in a connection string that libpq could not read: a URI's user:password@, a
# key=value (quoted or not), a URI's ?password= parameter. Read leniently: the string is malformed.
_PASSWORDS = (
    re.compile(r"://[^:/@\s]*:(.+)@"),
    re.compile(r"://[^:/@\s]*:([^@\s]+)@"),
    re.compile(r"password\s*=\s*'((?:[^'\\]|\\.)*)'?", re.IGNORECASE),
    re.compile(r"password\s*=\s*([^\s'&]+)", re.IGNORECASE),
)


def without_passwords(text: str, dsn: str) -> str:
    """`text` with every password the connection string `dsn` may hold replaced by ********."""
    found = {m.group(1) for pattern in _PASSWORDS for m in pattern.finditer(dsn) if m.group(1)}
    found |= {unquote(p) for p in found}
    for secret in sorted(found, key=len, reverse=True):
        text = text.replace(secret, "********")
    return text


def explain_connection_error(exc: Exception, target: ConnectionTarget) -> str:
    """Turn libpq's message into a sentence the IT person can act on."""
    text = str(exc)
    low = text.lower()
    where = target.describe()
    if "password authentication failed" in low or "authentication failed" in low:
        return f"Wrong user name or password for {where}."
    if "no password supplied" in low or "fe_sendauth: no password" in low:
        return f"The server at {where} asks for a password, and none was given."
    if "database" in low and "does not exist" in low:
        return f"The database {target.dbname!r} does not exist on the server ({where})."
    if "role" in low and "does not exist" in low:
        return f"The user does not exist on the server ({where})."
    if "timeout expired" in low or "timed out" in low:
        return f"The server at {where} did not answer within {target.connect_timeout} s."
    if "ssl" in low and ("required" in low or "not support" in low or "no encryption" in low):
        return f"The server at {where} and this connection disagree on SSL; check the SSL mode."
    if "certificate" in low or "root.crt" in low:
        return f"The server's SSL certificate could not be verified for {where}; check the root certificate file."
    if "no pg_hba.conf entry" in low:
        return f"The server at {where} does not accept this user from this computer (pg_hba.conf)."
    if "connection refused" in low or "could not connect" in low or "no such file" in low:
        return f"The server at {where} cannot be reached; is it running, and are host and port right?"
    if "could not translate host name" in low or "name or service not known" in low:
        return f"The host name in {where} is unknown."
    first = first_line(exc)
    return f"Could not connect to {where}: {first}"


def send_together(conn: psycopg.Connection, statements: list[sql.Composed]) -> int:
    """Run statements that need no answer in between in one round trip (a pipeline; none for no statement);
    the first that fails raises, as it would alone. Returns how many were run."""
    if len(statements) == 1:
        conn.execute(statements[0])
    elif statements:
        with conn.pipeline():
            for statement in statements:
                conn.execute(statement)
    return len(statements)
