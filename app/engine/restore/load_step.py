"""One step of a load session: a proven transaction that runs the file's SQL with the owner's rights.

The settings a load step gives its transaction (`SET LOCAL`, gone at its end) are here: how long a file
statement may wait for a lock, function bodies not checked (as pg_restore), and memory for the index builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from app.engine.errors import RestoreFailed
from app.engine.jobs import CancelToken
from app.engine.restore.statement_cancel import cancel_statements_on
from app.engine.safety.load_login import LoadLogin
from app.engine.safety.proven import Witness, proven_step

# Memory for the load's index builds and foreign-key checks (PostgreSQL checks a new foreign key with
# work_mem = maintenance_work_mem): sorts and hashes stay in memory, and a btree build gets its parallel
# workers (each needs 32 MB of it). A ceiling, not an allocation; a server already set higher keeps its value.
LOAD_MAINTENANCE_MEM = "512MB"
FILE_LOCK_TIMEOUT = "10s"  # a file statement waiting on a lock (a shared table a foreign key points at)
# A staging step's COMMIT does not wait for its WAL to reach the disk (synchronous_commit, which any role may set
# for its own transaction). Sound: a crash can lose only the latest such commits of the staging schema, which no
# one else uses, and the restore's session dies with the server, so the restore fails and changes nothing; the
# swap's own COMMIT is synchronous, and flushing its commit record flushes all WAL written before it, every
# staging step's included, before the tenant takes the staging schema's name. "on" turns it off.
STAGING_SYNCHRONOUS_COMMIT = "off"


@contextmanager
def load_session(login: LoadLogin) -> Iterator[psycopg.Connection]:
    """One of the restore's two sessions signed in with the owner's rights (app/engine/safety/load_login.py)."""
    conn = login.connect()
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def file_step(
    conn: psycopg.Connection, witness: Witness, staged_oid: int, action: str, cancel: CancelToken
) -> Iterator[None]:
    """A step that runs the file's SQL (the source sets the staging schema's search_path around it), on a
    session with the owner's rights; afterwards the session must still be who it was, and the file's
    settings go."""
    expected = conn.execute("SELECT session_user, current_user").fetchone()
    with cancel_statements_on(conn, cancel), proven_step(conn, witness, {staged_oid}, action):
        with conn.pipeline():  # settings that need no answer: one round trip
            conn.execute("SELECT set_config('lock_timeout', %s, true)", [FILE_LOCK_TIMEOUT])
            # As pg_restore: a function's body may name tables created after it (docs/archive-format.md).
            conn.execute("SELECT set_config('check_function_bodies', 'off', true)")
            conn.execute(
                "SELECT set_config('maintenance_work_mem', %(mem)s, true)"
                " WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes(%(mem)s)",
                {"mem": LOAD_MAINTENANCE_MEM},
            )
        yield
        cancel.raise_if_cancelled()
        if conn.execute("SELECT session_user, current_user").fetchone() != expected:
            raise RestoreFailed("The file changed the session's role while loading; it was rolled back.")
        with conn.pipeline():
            conn.execute("RESET ALL")
            commit_without_flush(conn)


def commit_without_flush(conn: psycopg.Connection) -> None:
    """This transaction (a staging step's) commits without waiting for the disk; see STAGING_SYNCHRONOUS_COMMIT."""
    conn.execute("SELECT pg_catalog.set_config('synchronous_commit', %s, true)", [STAGING_SYNCHRONOUS_COMMIT])
