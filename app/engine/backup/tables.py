"""The rows of a backup's tables, read on two connections that share one snapshot, as `pg_dump -j` reads them.

The backup's own session exports its snapshot (`pg_export_snapshot`); a second session of the same user
adopts it (`SET TRANSACTION SNAPSHOT`) before anything else, so both read the tenant as of the same moment:
the backup stays one consistent snapshot. The archive is one file with one member after another, so:
- the backup's session streams the largest tables straight into the archive, largest first (flat memory,
  as before), compressing and hashing on a writer thread while it reads the next rows;
- the helper session takes the smallest tables, from the other end of the list, builds each member in
  memory (only tables of at most `HELPER_TABLE_BYTES` on disk, and at most `HELPER_PENDING_BYTES` of finished
  members waiting), and the backup's session puts each finished member into the archive between two of its
  own tables.
A session that asks for a table's lock waits behind anyone queued for an exclusive lock on it, who waits for
the backup's session, which would wait for the helper: so the helper asks with NOWAIT, and a table it cannot
have at once is left to the backup's session, which holds every table's lock from the start.
Small tables go a batch at a time on either session: the helper locks a batch in one statement, and either
session reads a batch's rows in one round trip (app/engine/copy_stream.py `copy_out_batch`).
"""

from __future__ import annotations

import io
import queue
import threading
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import psycopg
from psycopg import sql

from app.engine.archive.writer import ArchiveWriter, StoredMember
from app.engine.catalog.schema_ddl_relations import TableCopy
from app.engine.connection import ConnectionTarget
from app.engine.copy_stream import ChunkSink, copy_out, copy_out_batch
from app.engine.jobs import CancelToken
from app.engine.output_settings import pin as pin_output_settings

CHUNK_BYTES = 1 << 20  # bytes of COPY text handed over at a time
HELPER_TABLE_BYTES = 16 << 20  # the helper takes tables up to this size on disk (its members are held in memory)
HELPER_PENDING_BYTES = 48 << 20  # finished members waiting for the file, at most (then the helper waits)
_QUEUE_CHUNKS = 4  # chunks in flight to the writer thread: bounds memory
# The helper locks its tables a batch at a time (one round trip, not three a table): at most this many tables,
# and this many bytes on disk beyond the first (what it holds in memory may pass HELPER_PENDING_BYTES by that).
_LOCK_BATCH = 32
_LOCK_BATCH_BYTES = 8 << 20
# Tables of at most BATCH_TABLE_BYTES on disk are read a batch at a time, one round trip for all their COPYs
# (app/engine/copy_stream.py `copy_out_batch`): at most this many tables, this many bytes on disk.
BATCH_TABLE_BYTES = 1 << 20
_COPY_BATCH = 64
_COPY_BATCH_BYTES = 8 << 20
# A second session's sign-in (~20 ms) pays off for many small tables (a round trip each) or much data to read.
_MIN_TABLES = 32
_MIN_BYTES = 16 << 20
LOCK_TIMEOUT = "10s"

TableDone = Callable[[TableCopy, StoredMember], None]  # called on the backup's own thread
ChunkDone = Callable[[TableCopy, int], None]  # bytes of a table the backup's session just read


def copy_tables(
    conn: psycopg.Connection,
    target: ConnectionTarget,
    writer: ArchiveWriter,
    schema: str,
    tables: list[TableCopy],
    members: dict[str, str],
    done: TableDone,
    read: ChunkDone,
    cancel: CancelToken,
) -> None:
    """Every table's rows into its member of `writer`; `conn` is in the backup's transaction, holding every
    table's lock. Raises what either session raised; the helper is stopped and closed either way."""
    work = _Work(sorted(tables, key=lambda t: t.size_bytes, reverse=True))
    helper = _Helper.start(conn, target, schema, work) if _worth_a_helper(tables) else None
    chunks = _ChunkWriter()
    try:
        while batch := work.next_for_main(lambda finished: _attach(writer, members, finished, done), cancel):
            if len(batch) > 1:
                _stream_batch(conn, writer, members, schema, batch, done, read, cancel)
                continue
            (table,) = batch
            stored = _stream(conn, writer, chunks, members[table.name], schema, table, read, cancel)
            done(table, stored)
        if helper is not None:
            helper.raise_failure()
    finally:
        chunks.close()
        if helper is not None:
            helper.stop()


def _worth_a_helper(tables: list[TableCopy]) -> bool:
    small = [t.size_bytes for t in tables if t.size_bytes <= HELPER_TABLE_BYTES]
    return len(small) >= _MIN_TABLES or sum(small) >= _MIN_BYTES


def copy_query(schema: str, table: TableCopy) -> sql.Composed:
    if table.columns:
        columns = sql.SQL(", ").join(sql.Identifier(c["name"]) for c in table.columns)
        return sql.SQL("COPY {} ({}) TO STDOUT").format(sql.Identifier(schema, table.name), columns)
    return sql.SQL("COPY {} TO STDOUT").format(sql.Identifier(schema, table.name))


def _attach(
    writer: ArchiveWriter, members: dict[str, str], finished: list[tuple[TableCopy, Any, io.BytesIO]], done: TableDone
) -> None:
    for table, sink, buffer in finished:
        done(table, writer.attach(members[table.name], sink, buffer))


def _stream(
    conn: psycopg.Connection,
    writer: ArchiveWriter,
    chunks: _ChunkWriter,
    member: str,
    schema: str,
    table: TableCopy,
    read: ChunkDone,
    cancel: CancelToken,
) -> StoredMember:
    def hand_over(chunk: bytearray) -> None:
        chunks.put(sink, chunk)
        read(table, len(chunk))

    def write_here(chunk: bytearray) -> None:
        sink.write(chunk)
        read(table, len(chunk))

    # A table of a chunk or less is compressed here: the writer thread's overlap needs chunks to overlap, and
    # handing one over and waiting for it costs two thread switches a table.
    small = table.size_bytes <= CHUNK_BYTES
    with writer.member(member, compress=True) as sink:
        try:
            copy_out(
                conn,
                copy_query(schema, table),
                write_here if small else hand_over,
                chunk_bytes=CHUNK_BYTES,
                cancel=cancel,
            )
        finally:
            if not small:
                chunks.drain()
    return writer.members[member]


def _stream_batch(
    conn: psycopg.Connection,
    writer: ArchiveWriter,
    members: dict[str, str],
    schema: str,
    batch: list[TableCopy],
    done: TableDone,
    read: ChunkDone,
    cancel: CancelToken,
) -> None:
    """Small tables' members, straight into the file one after the other, their rows read in one round trip."""
    with ExitStack() as opened:

        def begin(index: int) -> ChunkSink:
            table = batch[index]
            sink = opened.enter_context(writer.member(members[table.name], compress=True))

            def write(chunk: bytearray) -> None:
                sink.write(chunk)
                read(table, len(chunk))

            return write

        def end(index: int) -> None:
            opened.close()  # the member's header, patched with its size
            done(batch[index], writer.members[members[batch[index].name]])

        copy_out_batch(conn, [copy_query(schema, t) for t in batch], begin, end, chunk_bytes=CHUNK_BYTES, cancel=cancel)


class _Work:
    """The tables left, largest first: the backup's session takes from the front, the helper from the back."""

    def __init__(self, tables: list[TableCopy]) -> None:
        self.left = deque(tables)
        self.returned: list[TableCopy] = []  # the helper could not lock them at once
        self.finished: list[tuple[TableCopy, Any, io.BytesIO]] = []
        self.pending = 0  # stored bytes of finished members not yet in the file
        self.helping = False
        self.stopped = False
        self.cond = threading.Condition()

    def next_for_main(
        self, attach: Callable[[list[tuple[TableCopy, Any, io.BytesIO]]], None], cancel: CancelToken
    ) -> list[TableCopy]:
        """The next table to stream, or a batch of small ones, after putting the helper's finished members into
        the file; none at the end."""
        while True:
            cancel.raise_if_cancelled()
            with self.cond:
                while not (self.finished or self.returned or self.left or not self.helping):
                    self.cond.wait(0.25)
                    cancel.raise_if_cancelled()
                finished, self.finished = self.finished, []
                if not finished:
                    if self.returned:
                        return [self.returned.pop()]
                    return self._take(self.left.popleft, lambda: self.left[0]) if self.left else []
            attach(finished)
            with self.cond:
                self.pending -= sum(sink.stored_bytes for _, sink, _ in finished)
                self.cond.notify_all()

    def _take(self, pop: Callable[[], TableCopy], peek: Callable[[], TableCopy]) -> list[TableCopy]:
        """One table, or a batch of small ones (from the end `pop` takes from); under the lock."""
        batch = [pop()]
        size = batch[0].size_bytes
        while (
            batch[0].size_bytes <= BATCH_TABLE_BYTES
            and self.left
            and len(batch) < _COPY_BATCH
            and peek().size_bytes <= BATCH_TABLE_BYTES
            and size + peek().size_bytes <= _COPY_BATCH_BYTES
        ):
            size += peek().size_bytes
            batch.append(pop())
        return batch

    def next_for_helper(self) -> list[TableCopy]:
        """The helper's next tables, smallest first (a batch it locks at once); none at the end."""
        with self.cond:
            while self.pending > HELPER_PENDING_BYTES and not self.stopped:
                self.cond.wait()
            batch: list[TableCopy] = []
            size = 0
            while (
                not self.stopped
                and self.left
                and self.left[-1].size_bytes <= HELPER_TABLE_BYTES
                and len(batch) < _LOCK_BATCH
                and (not batch or size + self.left[-1].size_bytes <= _LOCK_BATCH_BYTES)
            ):
                size += self.left[-1].size_bytes
                batch.append(self.left.pop())
            return batch

    def give_back(self, table: TableCopy) -> None:
        with self.cond:
            self.returned.append(table)
            self.cond.notify_all()

    def finish(self, table: TableCopy, sink: Any, buffer: io.BytesIO) -> None:
        with self.cond:
            self.finished.append((table, sink, buffer))
            self.pending += sink.stored_bytes
            self.cond.notify_all()

    def end_helping(self) -> None:
        with self.cond:
            self.helping = False
            self.cond.notify_all()


class _Helper:
    """The second session, on a thread of its own, in the backup's snapshot."""

    def __init__(self, conn: psycopg.Connection, schema: str, work: _Work) -> None:
        self.conn, self.schema, self.work = conn, schema, work
        self.stopping = CancelToken()  # the backup's thread stops the helper (it checks the user's cancel itself)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="resguardo-backup-helper", daemon=True)

    @classmethod
    def start(cls, conn: psycopg.Connection, target: ConnectionTarget, schema: str, work: _Work) -> _Helper:
        row = conn.execute("SELECT pg_catalog.pg_export_snapshot()").fetchone()
        assert row is not None
        helper_conn = target.connect()
        try:
            helper_conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            helper_conn.read_only = True
            helper_conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(row[0])))
            helper_conn.execute("SELECT pg_catalog.set_config('row_security', 'off', true)")
            helper_conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", [LOCK_TIMEOUT])
            pin_output_settings(helper_conn)  # its rows written as the backup's session writes them
        except BaseException:
            helper_conn.close()
            raise
        helper = cls(helper_conn, schema, work)
        work.helping = True
        helper.thread.start()
        return helper

    def _run(self) -> None:
        try:
            while batch := self.work.next_for_helper():
                self._copy(self._lock_batch(batch))
        except BaseException as exc:
            self.failure = exc
        finally:
            self.work.end_helping()

    def _copy(self, tables: list[TableCopy]) -> None:
        """Each table's member built in memory, their rows read in one round trip, each handed over as it ends."""
        built = [ArchiveWriter.detached(compress=True) for _ in tables]

        def finished(index: int) -> None:
            sink, buffer = built[index]
            sink.close()
            self.work.finish(tables[index], sink, buffer)

        copy_out_batch(
            self.conn,
            [copy_query(self.schema, t) for t in tables],
            lambda index: built[index][0].write,
            finished,
            chunk_bytes=CHUNK_BYTES,
            cancel=self.stopping,
        )

    def _lock_batch(self, batch: list[TableCopy]) -> list[TableCopy]:
        """The tables of `batch` this session now holds locked: all of them in one round trip (a savepoint, the
        lock of every table NOWAIT, its release, sent as one text); when one of them cannot be had at once, each
        is tried alone, and the ones refused are given back to the backup's session."""
        lock = sql.SQL("SAVEPOINT resguardo_lock; LOCK TABLE ONLY {} IN ACCESS SHARE MODE NOWAIT;").format(
            sql.SQL(", ").join(sql.Identifier(self.schema, t.name) for t in batch)
        )
        try:
            self.conn.execute(sql.Composed([lock, sql.SQL(" RELEASE SAVEPOINT resguardo_lock")]))  # no parameters
        except psycopg.errors.LockNotAvailable:
            self.conn.execute("ROLLBACK TO SAVEPOINT resguardo_lock; RELEASE SAVEPOINT resguardo_lock")
        else:
            return batch
        locked = []
        for table in batch:
            if self._lock(table):
                locked.append(table)
            else:
                self.work.give_back(table)
        return locked

    def _lock(self, table: TableCopy) -> bool:
        """Its own lock for the snapshot's transaction. The name is the table's: the main session holds it locked,
        checked to be the table listed (app/engine/backup/native.py `_lock_tables`), so no one can rename it or
        put a view in its place while the backup runs."""
        try:
            with self.conn.transaction():  # a savepoint: a refused lock leaves the snapshot's transaction whole
                self.conn.execute(
                    sql.SQL("LOCK TABLE ONLY {} IN ACCESS SHARE MODE NOWAIT").format(
                        sql.Identifier(self.schema, table.name)
                    )
                )
        except psycopg.errors.LockNotAvailable:
            return False
        return True

    def raise_failure(self) -> None:
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def stop(self) -> None:
        self.stopping.cancel()
        with self.work.cond:
            self.work.stopped = True
            self.work.cond.notify_all()
        self.thread.join()
        self.conn.close()


class _ChunkWriter:
    """One worker thread that feeds chunks to the member being streamed; the backup's thread keeps reading."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Any, bytearray] | None] = queue.Queue(maxsize=_QUEUE_CHUNKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="resguardo-archive-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    item[0].write(item[1])
                except BaseException as exc:
                    self._error = exc
            self._queue.task_done()
        self._queue.task_done()

    def put(self, sink: Any, chunk: bytearray) -> None:
        self._raise()
        self._queue.put((sink, chunk))

    def drain(self) -> None:
        """Wait until every chunk handed over is in its member (before the member is closed)."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
