"""Owners and grants of a restored schema: those the live tenant had, so the web application keeps working.

Restoring while connected as a superuser must not leave tables owned by the
superuser, out of reach of the application's own role. Each object of the
staging schema gets, by (kind, name):
- the owner and ACL of the live object of the same kind and name, when there is one;
- else the archive's owner and ACL, with the archive's schema owner mapped to the
  new schema owner and roles unknown on this server mapped to it too (a warning
  says so);
- else the new schema owner, and the ACL the load left.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

# aclitem letters -> privilege names (PostgreSQL's acldefault/aclexplode vocabulary)
_LETTERS = {
    "r": "SELECT", "w": "UPDATE", "a": "INSERT", "d": "DELETE", "D": "TRUNCATE", "x": "REFERENCES",
    "t": "TRIGGER", "X": "EXECUTE", "U": "USAGE", "C": "CREATE", "c": "CONNECT", "T": "TEMPORARY",
    "m": "MAINTAIN", "s": "SET", "A": "ALTER SYSTEM",
}
_PRIVILEGES = set(_LETTERS.values())

Grant = tuple[str | None, str, bool]  # (grantee or None for PUBLIC, privilege, with grant option)

_RELKINDS = {"r": ("table", "TABLE"), "p": ("table", "TABLE"), "f": ("table", "FOREIGN TABLE"),
             "v": ("view", "VIEW"), "m": ("materialized-view", "MATERIALIZED VIEW"), "S": ("sequence", "SEQUENCE")}

_EXPLODE = ("(SELECT coalesce(json_agg(json_build_array(CASE WHEN e.grantee = 0 THEN NULL"
            " ELSE pg_get_userbyid(e.grantee) END, e.privilege_type, e.is_grantable)), '[]')"
            " FROM aclexplode(coalesce({acl}, acldefault({code}, {owner}))) e)")
_NOT_EXTENSION = ("NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = {cls}::regclass AND x.objid = {oid}"
                  " AND x.deptype = 'e')")

_REL_ACL_CODE = "CASE c.relkind WHEN 'S' THEN 's'::\"char\" ELSE 'r'::\"char\" END"

# One row per object: kind code, name, qualified target text pieces, owner, explicit ACL (json)
_OBJECTS_SQL = f"""
SELECT 'schema', n.nspname, NULL, pg_get_userbyid(n.nspowner),
       {_EXPLODE.format(acl='n.nspacl', code="'n'", owner='n.nspowner')}, false
FROM pg_namespace n WHERE n.oid = %(nsp)s
UNION ALL
SELECT 'rel:' || c.relkind::text, c.relname, NULL, pg_get_userbyid(c.relowner),
       {_EXPLODE.format(acl='c.relacl', code=_REL_ACL_CODE, owner='c.relowner')},
       EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
FROM pg_class c WHERE c.relnamespace = %(nsp)s AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
  AND {_NOT_EXTENSION.format(cls="'pg_class'", oid='c.oid')}
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
       p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       pg_get_userbyid(p.proowner), {_EXPLODE.format(acl='p.proacl', code="'f'", owner='p.proowner')}, false
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.pronamespace = %(nsp)s AND p.prokind IN ('f', 'p', 'w')
  AND {_NOT_EXTENSION.format(cls="'pg_proc'", oid='p.oid')}
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'type:domain' ELSE 'type' END, t.typname, NULL, pg_get_userbyid(t.typowner),
       {_EXPLODE.format(acl='t.typacl', code="'T'", owner='t.typowner')}, false
FROM pg_type t WHERE t.typnamespace = %(nsp)s AND t.typtype IN ('c', 'd', 'e', 'r')
  AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND {_NOT_EXTENSION.format(cls="'pg_type'", oid='t.oid')}
"""


@dataclass(frozen=True)
class SchemaObject:
    kind: str  # manifest vocabulary: schema, table, view, materialized-view, sequence, function, procedure, type
    name: str  # relation/type name, or "name(args)" for routines
    alter_word: str  # e.g. "MATERIALIZED VIEW", "DOMAIN", "FUNCTION"
    grant_word: str  # e.g. "TABLE", "SEQUENCE", "DOMAIN"
    routine: str | None  # qualified signature text, as PostgreSQL quotes it
    owner: str
    acl: frozenset[Grant]
    owner_follows_table: bool  # sequences owned by a column change owner with their table

    def target(self, schema: str, word: str) -> sql.Composable:
        if self.kind == "schema":
            return sql.SQL("SCHEMA {}").format(sql.Identifier(schema))
        if self.routine is not None:
            return sql.SQL(f"{word} ") + sql.SQL(self.routine)  # PostgreSQL's own quoting (format %I)
        return sql.SQL(f"{word} ") + sql.Identifier(schema, self.name)


def schema_objects(conn: psycopg.Connection, schema: str) -> dict[tuple[str, str], SchemaObject]:
    """Every ownable object of `schema` by (kind, name); routine names as the archive writes them."""
    # Routine argument types are written relative to search_path: the schema alone, as the backup does.
    previous = conn.execute("SELECT current_setting('search_path')").fetchone()[0]  # type: ignore[index]
    conn.execute(sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema)))
    rows = conn.execute(_OBJECTS_SQL, {"nsp": _oid(conn, schema)}).fetchall()
    conn.execute("SELECT set_config('search_path', %s, true)", [previous])
    objects: dict[tuple[str, str], SchemaObject] = {}
    for code, name, routine, owner, acl, follows in rows:
        kind, alter_word, grant_word = _words(code)
        grants = frozenset((g, p, bool(o)) for g, p, o in (acl if isinstance(acl, list) else json.loads(acl)))
        objects[(kind, name)] = SchemaObject(kind, name, alter_word, grant_word, routine, owner, grants, follows)
    return objects


def _words(code: str) -> tuple[str, str, str]:
    if code.startswith("rel:"):
        kind, word = _RELKINDS[code[4:]]
        return kind, word, "SEQUENCE" if kind == "sequence" else "TABLE"
    if code == "type:domain":
        return "type", "DOMAIN", "DOMAIN"
    word = {"schema": "SCHEMA", "function": "FUNCTION", "procedure": "PROCEDURE", "type": "TYPE"}[code]
    return code, word, word


def _oid(conn: psycopg.Connection, schema: str) -> int:
    row = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
    if row is None:
        raise LookupError(schema)
    return int(row[0])


def parse_acl(items: Iterable[str]) -> set[Grant]:
    """aclitem text (`grantee=privs/grantor`, `=r/owner` for PUBLIC) without asking the server,
    whose aclitem input would reject roles it does not know."""
    grants: set[Grant] = set()
    for item in items:
        grantee, rest = _read_role(item)
        if not rest.startswith("="):
            continue
        privs = rest[1:].split("/", 1)[0]
        for i, letter in enumerate(privs):
            if letter in _LETTERS:
                grants.add((grantee or None, _LETTERS[letter], privs[i + 1:i + 2] == "*"))
    return grants


def _read_role(text: str) -> tuple[str, str]:
    if not text.startswith('"'):
        end = text.find("=")
        return (text, "") if end < 0 else (text[:end], text[end:])
    name, i = [], 1
    while i < len(text):
        if text[i] == '"':
            if text[i + 1:i + 2] == '"':
                name.append('"')
                i += 2
                continue
            return "".join(name), text[i + 1:]
        name.append(text[i])
        i += 1
    return "".join(name), ""


class RoleMap:
    """Archive roles -> roles of this server: the archive's schema owner becomes the new owner;
    unknown roles become the new owner too, with a warning."""

    def __init__(self, conn: psycopg.Connection, archive_owner: str | None, new_owner: str) -> None:
        self.archive_owner = archive_owner
        self.new_owner = new_owner
        self.known = {r[0] for r in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
        self.unknown: set[str] = set()

    def role(self, name: str | None) -> str | None:
        if name is None:
            return None
        if name == self.archive_owner:
            return self.new_owner
        if name in self.known:
            return name
        self.unknown.add(name)
        return self.new_owner

    def acl(self, grants: Iterable[Grant]) -> frozenset[Grant]:
        return frozenset((self.role(g), p, o) for g, p, o in grants)


def apply_owners_and_grants(
    conn: psycopg.Connection,
    staging: str,
    live: str | None,
    new_owner: str,
    archive_privileges: list[dict[str, Any]] | None,
    archive_owner: str | None,
) -> list[str]:
    """Give the staging schema's objects their owners and grants; returns warnings for the result."""
    staged = schema_objects(conn, staging)
    before = schema_objects(conn, live) if live else {}
    roles = RoleMap(conn, archive_owner, new_owner)
    archived: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in archive_privileges or []:
        kind = str(entry.get("kind"))
        archived[(kind, "" if kind == "schema" else str(entry.get("name")))] = entry
    wanted: dict[tuple[str, str], tuple[str, frozenset[Grant] | None]] = {}
    for key, obj in staged.items():
        lookup = ("schema", "") if obj.kind == "schema" else key
        live_obj = next((o for o in before.values() if o.kind == "schema"), None) if obj.kind == "schema" \
            else before.get(key)
        if live_obj is not None:
            wanted[key] = (live_obj.owner, live_obj.acl)
        elif lookup in archived:
            entry = archived[lookup]
            owner = roles.role(str(entry.get("owner"))) or new_owner
            wanted[key] = (owner, roles.acl(parse_acl(entry.get("acl") or [])))
        else:
            wanted[key] = (new_owner, None)
    for key, obj in staged.items():
        owner = wanted[key][0]
        if owner != obj.owner and not obj.owner_follows_table:
            conn.execute(sql.SQL("ALTER {} OWNER TO {}").format(
                obj.target(staging, obj.alter_word), sql.Identifier(owner)))
    staged = schema_objects(conn, staging)
    for key, obj in staged.items():
        acl = wanted[key][1]
        if acl is not None and acl != obj.acl:
            _set_acl(conn, obj.target(staging, obj.grant_word), obj.acl, acl)
    return [f"The archive names roles this server does not have ({', '.join(sorted(roles.unknown))}); "
            f"their objects and grants went to {new_owner}."] if roles.unknown else []


def _set_acl(conn: psycopg.Connection, target: sql.Composable, current: frozenset[Grant],
             wanted: frozenset[Grant]) -> None:
    for grantee in {g for g, _, _ in current}:
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(target, _grantee(grantee)))
    by_role: dict[tuple[str | None, bool], list[str]] = {}
    for grantee, privilege, option in wanted:
        if privilege in _PRIVILEGES:
            by_role.setdefault((grantee, option), []).append(privilege)
    for (grantee, option), privileges in sorted(by_role.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        conn.execute(sql.SQL("GRANT {} ON {} TO {}{}").format(
            sql.SQL(", ").join(sql.SQL(p) for p in sorted(privileges)), target, _grantee(grantee),
            sql.SQL(" WITH GRANT OPTION" if option else "")))


def _grantee(role: str | None) -> sql.Composable:
    return sql.SQL("PUBLIC") if role is None else sql.Identifier(role)
