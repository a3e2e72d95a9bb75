"""Helpers of the restore tests: fingerprints of schemas, and archives rewritten to be bad on purpose."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from psycopg import sql

from app.engine.archive.container import (
    HEADER_MEMBER,
    MANIFEST_MEMBER,
    POST_DATA_MEMBER,
    PRE_DATA_MEMBER,
    ArchiveReader,
    manifest_checksum,
    statement_block,
)
from app.engine.archive.writer import ArchiveWriter
from app.engine.connection import ConnectionTarget
from app.engine.safety.registry import REGISTRY_SCHEMA, all_registered
from app.engine.server.demo import django_password_hash
from tests.support.pg import one_value

PATIENT = "paciente1@test.com"


def delete_patient(target: ConnectionTarget, schema: str = "bienestar") -> None:
    """Step 3 of the acceptance story: paciente1 and every row pointing at it go."""
    with target.connect() as conn:
        uid = one_value(
            conn,
            sql.SQL("SELECT id FROM {} WHERE email = %s").format(sql.Identifier(schema, "users_customuser")),
            [PATIENT],
        )
        for table, column in [
            ("chat_chatmessage", "sender_id"),
            ("chat_chatmessage", "recipient_id"),
            ("users_customuser_groups", "customuser_id"),
        ]:
            conn.execute(
                sql.SQL("DELETE FROM {} WHERE {} = %s").format(sql.Identifier(schema, table), sql.Identifier(column)),
                [uid],
            )
        profile = one_value(
            conn,
            sql.SQL("SELECT id FROM {} WHERE user_id = %s").format(sql.Identifier(schema, "patients_patientprofile")),
            [uid],
        )
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE appointment_id IN (SELECT id FROM {} WHERE patient_id = %s)").format(
                sql.Identifier(schema, "chat_chatmessage"), sql.Identifier(schema, "appointments_appointment")
            ),
            [profile],
        )
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE patient_id = %s").format(sql.Identifier(schema, "appointments_appointment")),
            [profile],
        )
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(schema, "patients_patientprofile")), [profile]
        )
        conn.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(sql.Identifier(schema, "users_customuser")), [uid])


# A description of every object of a schema: changes in owner, ACL, definition or comment show.
_CATALOG_SQL = """
SELECT 'rel', c.relname, c.relkind::text, pg_get_userbyid(c.relowner), c.relacl::text, obj_description(c.oid),
       (SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                          || coalesce(' ' || a.attidentity::text, '')
                          || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), ''), ', ' ORDER BY a.attnum)
          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY k.conname)
          FROM pg_constraint k WHERE k.conrelid = c.oid),
       (SELECT string_agg(t.tgname, ', ' ORDER BY t.tgname)
          FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
       c.relhastriggers::text
FROM pg_class c WHERE c.relnamespace = %(nsp)s
UNION ALL
SELECT 'proc', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.prokind::text,
       pg_get_userbyid(p.proowner), p.proacl::text,
       CASE WHEN p.prokind IN ('f', 'p') THEN md5(pg_get_functiondef(p.oid)) END, NULL, NULL, NULL, NULL
FROM pg_proc p WHERE p.pronamespace = %(nsp)s
UNION ALL
SELECT 'type', t.typname, t.typtype::text, pg_get_userbyid(t.typowner), t.typacl::text, NULL, NULL, NULL, NULL, NULL
FROM pg_type t WHERE t.typnamespace = %(nsp)s
UNION ALL
SELECT 'schema', n.nspname, NULL, pg_get_userbyid(n.nspowner), n.nspacl::text, obj_description(n.oid, 'pg_namespace'),
       NULL, NULL, NULL, NULL
FROM pg_namespace n WHERE n.oid = %(nsp)s
ORDER BY 1, 2
"""


def fingerprint(target: ConnectionTarget, schema: str) -> dict[str, Any]:
    """Catalog and data of one schema: every table's rows (md5 of the ordered rows) and sequence states."""
    with target.connect() as conn:
        row = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
        if row is None:
            return {"missing": True}
        catalog = [list(r) for r in conn.execute(_CATALOG_SQL, {"nsp": row[0]}).fetchall()]
        data: dict[str, str] = {}
        for name, kind in conn.execute(
            "SELECT relname, relkind FROM pg_class WHERE relnamespace = %s AND relkind IN ('r', 'S', 'm')"
            " ORDER BY relname",
            [row[0]],
        ).fetchall():
            q = sql.Identifier(schema, name)
            if kind == "S":
                found = conn.execute(sql.SQL("SELECT last_value::text || is_called::text FROM {}").format(q)).fetchone()
            else:
                found = conn.execute(
                    sql.SQL(
                        "SELECT count(*)::text || ':'"
                        " || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') FROM {} t"
                    ).format(q)
                ).fetchone()
            data[name] = found[0] if found else ""
        return {"catalog": catalog, "data": data}


def other_schemas(target: ConnectionTarget, tenant: str) -> dict[str, Any]:
    """Fingerprints of every schema but the tenant and Resguardo's own (public and the other clinics)."""
    with target.connect() as conn:
        made = set(all_registered(conn))
        names = [
            r[0]
            for r in conn.execute(
                "SELECT nspname, oid FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%'"
                " AND nspname <> 'information_schema' AND nspname <> %s AND nspname <> %s ORDER BY 1",
                [tenant, REGISTRY_SCHEMA],
            ).fetchall()
            if r[1] not in made
        ]
    return {name: fingerprint(target, name) for name in names}


def resguardo_schemas(target: ConnectionTarget) -> list[tuple[str, str]]:
    """(name, kind) of the staging schemas and safety copies that exist, by Resguardo's record."""
    with target.connect() as conn:
        made = all_registered(conn)
        rows = conn.execute(
            "SELECT nspname, oid FROM pg_namespace WHERE oid = ANY(%s) ORDER BY 1", [list(made)]
        ).fetchall()
    return [(name, made[oid][0].value) for name, oid in rows]


def set_password(target: ConnectionTarget, schema: str, email: str, password: str) -> None:
    with target.connect() as conn:
        conn.execute(
            sql.SQL("UPDATE {} SET password = %s WHERE email = %s").format(sql.Identifier(schema, "users_customuser")),
            [django_password_hash(password, "newsalt"), email],
        )


def password_hash(target: ConnectionTarget, schema: str, email: str) -> str | None:
    with target.connect() as conn:
        row = conn.execute(
            sql.SQL("SELECT password FROM {} WHERE email = %s").format(sql.Identifier(schema, "users_customuser")),
            [email],
        ).fetchone()
    return row[0] if row else None


def table_rows(target: ConnectionTarget, schema: str) -> dict[str, int]:
    """Rows of every table of a schema, counted: what a backup of it holds."""
    with target.connect() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r' ORDER BY 1",
                [schema],
            ).fetchall()
        ]
        return {
            t: int(one_value(conn, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, t))))
            for t in tables
        }


def emails(target: ConnectionTarget, schema: str) -> set[str]:
    with target.connect() as conn:
        return {
            r[0]
            for r in conn.execute(
                sql.SQL("SELECT email::text FROM {}").format(sql.Identifier(schema, "users_customuser"))
            ).fetchall()
        }


Blocks = str | list[tuple[str, str]]  # one statement (labelled "table hostile"), or (label, statement) pairs


def rewrite_archive(
    src: Path,
    dst: Path,
    *,
    pre_extra: Blocks = "",
    post_extra: Blocks = "",
    table_data: Callable[[str, bytes], bytes | Iterable[bytes]] | None = None,
    fix_checksums: bool = True,
    manifest: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """A copy of `src` with statements added, table rows changed and the manifest adjusted.

    With `fix_checksums` the manifest is made to match the new contents (a well-formed but hostile
    or bad file); without, the contents no longer match it (a damaged file). `table_data` may return
    the new rows in chunks (rows far larger than the memory of the test).
    """
    with ArchiveReader(src) as reader:
        m = json.loads(json.dumps(reader.raw_manifest))
        with ArchiveWriter(dst) as writer:
            for name in reader.member_names:
                if name in (HEADER_MEMBER, MANIFEST_MEMBER):
                    continue
                if name in (PRE_DATA_MEMBER, POST_DATA_MEMBER):
                    extra = pre_extra if name == PRE_DATA_MEMBER else post_extra
                    if isinstance(extra, str):
                        extra = [("table hostile", extra)] if extra else []
                    text = reader.read_text(name) + "".join(statement_block(label, s) for label, s in extra)
                    stored = writer.add_bytes(name, text.encode())
                    if fix_checksums:
                        m["parts"][name] = {"bytes": stored.raw_bytes, "sha256": stored.raw_sha256}
                    continue
                entry = next(t for t in m["tables"] if t["member"] == name)
                with reader.open_table_data(name) as stream:
                    raw = stream.read()
                chunks = [raw] if table_data is None else table_data(entry["name"], raw)
                with writer.member(name, compress=True) as sink:
                    for chunk in [chunks] if isinstance(chunks, bytes) else chunks:
                        sink.write(chunk)
                stored = writer.members[name]
                if fix_checksums:
                    entry.update(
                        rows=stored.raw_lines,
                        bytes=stored.raw_bytes,
                        sha256=stored.raw_sha256,
                        stored_bytes=stored.stored_bytes,
                        stored_sha256=stored.stored_sha256,
                    )
            if manifest is not None:
                manifest(m)
            if fix_checksums:
                m["checksum"] = manifest_checksum(m)
            writer.commit(m)
    return dst


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
