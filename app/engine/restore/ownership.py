"""Owners and grants of a restored schema: those the live tenant had, so the web application keeps working.

Restoring while connected as a superuser must not leave tables owned by the
superuser, out of reach of the application's own role; and a backup file must never
choose owners (a file's SECURITY DEFINER function owned by a superuser would be a
door into the server). See `apply_owners_and_grants`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.engine.catalog.schema_oids import IN_SCHEMA, TYPES_IN_SCHEMA
from app.engine.connection import send_together
from app.engine.restore.access_lists import PRIVILEGES, Grant, acl_statements, role_sql

_RELKINDS = {
    "r": ("table", "TABLE"),
    "p": ("table", "TABLE"),
    "f": ("table", "FOREIGN TABLE"),
    "v": ("view", "VIEW"),
    "m": ("materialized-view", "MATERIALIZED VIEW"),
    "S": ("sequence", "SEQUENCE"),
}

# The access list in its order (a restore keeps the order of its entries), and whether it is explicit: NULL means
# "the default", which stays NULL, as pg_dump keeps it.
_EXPLODE = (
    "(SELECT coalesce(json_agg(json_build_array(CASE WHEN e.grantee = 0 THEN NULL"
    " ELSE pg_get_userbyid(e.grantee) END, e.privilege_type, e.is_grantable) ORDER BY e.n), '[]')"
    " FROM aclexplode(coalesce({acl}, acldefault({code}, {owner})))"
    " WITH ORDINALITY e(grantor, grantee, privilege_type, is_grantable, n)), {acl} IS NOT NULL"
)
_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = {cls}::regclass AND x.objid = {oid} AND x.deptype = 'e')"
)
# Functions and types PostgreSQL makes as part of another object (a range type's constructors) follow it.
_STANDALONE = (
    "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = {cls}::regclass AND x.objid = {oid}"
    " AND x.deptype IN ('e', 'i'))"
)

_REL_ACL_CODE = "CASE c.relkind WHEN 'S' THEN 's'::\"char\" ELSE 'r'::\"char\" END"

# One row per object: kind code, name, qualified target text pieces, owner, explicit ACL (json)
_OBJECTS_SQL = f"""
SELECT 'schema', n.nspname, NULL, pg_get_userbyid(n.nspowner),
       {_EXPLODE.format(acl="n.nspacl", code="'n'", owner="n.nspowner")}, false
FROM pg_namespace n WHERE n.oid = %(nsp)s
UNION ALL
SELECT 'rel:' || c.relkind::text, c.relname, NULL, pg_get_userbyid(c.relowner),
       {_EXPLODE.format(acl="c.relacl", code=_REL_ACL_CODE, owner="c.relowner")},
       EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
FROM pg_class c WHERE c.oid = ANY({IN_SCHEMA}) AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
  AND {_NOT_EXTENSION.format(cls="'pg_class'", oid="c.oid")}
UNION ALL
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
       p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.oid::text,
       pg_get_userbyid(p.proowner), {_EXPLODE.format(acl="p.proacl", code="'f'", owner="p.proowner")}, false
FROM pg_proc p WHERE p.pronamespace = %(nsp)s AND p.prokind IN ('f', 'p', 'w', 'a')
  AND {_STANDALONE.format(cls="'pg_proc'", oid="p.oid")}
UNION ALL
SELECT CASE t.typtype WHEN 'd' THEN 'type:domain' ELSE 'type' END, t.typname, NULL, pg_get_userbyid(t.typowner),
       {_EXPLODE.format(acl="t.typacl", code="'T'", owner="t.typowner")}, false
FROM pg_type t WHERE t.oid = ANY({TYPES_IN_SCHEMA}) AND t.typtype IN ('c', 'd', 'e', 'r')
  AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND {_STANDALONE.format(cls="'pg_type'", oid="t.oid")}
"""


@dataclass(frozen=True)
class SchemaObject:
    kind: str  # manifest vocabulary: schema, table, view, materialized-view, sequence, function, procedure, type
    name: str  # relation/type name, or "name(args)" for routines
    alter_word: str  # e.g. "MATERIALIZED VIEW", "DOMAIN", "FUNCTION"
    grant_word: str  # e.g. "TABLE", "SEQUENCE", "DOMAIN"
    routine: str | None  # qualified signature text, as PostgreSQL quotes it
    owner: str
    acl: tuple[Grant, ...]  # in the access list's order
    explicit: bool  # False: the default access list (NULL), whatever the owner's defaults are
    owner_follows_table: bool  # sequences owned by a column change owner with their table

    def target(self, schema: str, word: str) -> sql.Composable:
        if self.kind == "schema":
            return sql.SQL("SCHEMA {}").format(sql.Identifier(schema))
        if self.routine is not None:
            return sql.SQL(f"{word} ") + sql.SQL(self.routine)  # regprocedure: PostgreSQL quotes and qualifies
        return sql.SQL(f"{word} ") + sql.Identifier(schema, self.name)


def schema_objects(conn: psycopg.Connection, schema: str) -> dict[tuple[str, str], SchemaObject]:
    """Every ownable object of `schema` by (kind, name); routines named as the archive writes them."""
    return _objects(conn, schema, _oid(conn, schema))


def _objects(conn: psycopg.Connection, schema: str, nsp: int) -> dict[tuple[str, str], SchemaObject]:
    # A routine is targeted by its signature with every type qualified (regprocedure); it is *named* with its
    # argument types written relative to the schema alone, as the backup writes them, so that a staging
    # schema's routines match the live schema's. That needs the schema on the search path: the query is
    # then written with every function, type and operator qualified, so nothing of the schema's is chosen.
    # The five statements need no answer in between: one round trip.
    with conn.pipeline():
        found = conn.execute(_OBJECTS_SQL, {"nsp": nsp})
        signatures = conn.execute(
            "SELECT p.oid::text, p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = %s", [nsp]
        )
        conn.execute("SELECT set_config('search_path', %s, true)", [sql.Identifier(schema).as_string(conn)])
        named = conn.execute(
            "SELECT p.oid::pg_catalog.text, p.proname OPERATOR(pg_catalog.||) '(' OPERATOR(pg_catalog.||)"
            " pg_catalog.pg_get_function_identity_arguments(p.oid) OPERATOR(pg_catalog.||) ')'"
            " FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) %s::pg_catalog.oid",
            [nsp],
        )
        conn.execute("SELECT set_config('search_path', 'pg_catalog, pg_temp', true)")
    rows = found.fetchall()
    targets: dict[str, str] = dict(signatures.fetchall())
    names: dict[str, str] = dict(named.fetchall())
    objects: dict[tuple[str, str], SchemaObject] = {}
    name: str
    for code, name, oid, owner, acl, explicit, follows in rows:
        routine = targets.get(oid) if oid else None
        kind, alter_word, grant_word = _words(code)
        grants = tuple((g, p, bool(o)) for g, p, o in (acl if isinstance(acl, list) else json.loads(acl)))
        key_name = names.get(oid, name) if oid else name
        objects[(kind, key_name)] = SchemaObject(
            kind, key_name, alter_word, grant_word, routine, owner, grants, bool(explicit), follows
        )
    return objects


def _words(code: str) -> tuple[str, str, str]:
    if code.startswith("rel:"):
        kind, word = _RELKINDS[code[4:]]
        return kind, word, "SEQUENCE" if kind == "sequence" else "TABLE"
    if code == "type:domain":
        return "type", "DOMAIN", "DOMAIN"
    if code == "aggregate":
        return code, "AGGREGATE", "FUNCTION"
    word = {"schema": "SCHEMA", "function": "FUNCTION", "procedure": "PROCEDURE", "type": "TYPE"}[code]
    return code, word, word


def _oid(conn: psycopg.Connection, schema: str) -> int:
    row = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema]).fetchone()
    if row is None:
        raise LookupError(schema)
    return int(row[0])


# Objects the live tenant's counterpart cannot be matched for by name (their identity names other
# objects of the schema): they belong to the new schema's owner, whoever created them.
_OTHER_OWNED = """
SELECT x.classid, x.objid, (pg_identify_object(x.classid, x.objid, 0)).type,
       (pg_identify_object(x.classid, x.objid, 0)).identity
FROM (SELECT 'pg_operator'::regclass AS classid, o.oid AS objid, o.oprowner AS owner FROM pg_operator o
        WHERE o.oprnamespace = %(nsp)s
      UNION ALL SELECT 'pg_opclass'::regclass, c.oid, c.opcowner FROM pg_opclass c WHERE c.opcnamespace = %(nsp)s
      UNION ALL SELECT 'pg_opfamily'::regclass, f.oid, f.opfowner FROM pg_opfamily f WHERE f.opfnamespace = %(nsp)s
      UNION ALL SELECT 'pg_collation'::regclass, c.oid, c.collowner FROM pg_collation c
        WHERE c.collnamespace = %(nsp)s
      UNION ALL SELECT 'pg_conversion'::regclass, c.oid, c.conowner FROM pg_conversion c
        WHERE c.connamespace = %(nsp)s
      UNION ALL SELECT 'pg_ts_config'::regclass, c.oid, c.cfgowner FROM pg_ts_config c
        WHERE c.cfgnamespace = %(nsp)s
      UNION ALL SELECT 'pg_ts_dict'::regclass, d.oid, d.dictowner FROM pg_ts_dict d WHERE d.dictnamespace = %(nsp)s
      UNION ALL SELECT 'pg_statistic_ext'::regclass, s.oid, s.stxowner FROM pg_statistic_ext s
        WHERE s.stxnamespace = %(nsp)s) x
WHERE x.owner <> %(owner)s::regrole
"""

# Column privileges: (table, column, acl as grants) of the live tenant's tables.
_COLUMN_ACLS = f"""
SELECT c.relname, a.attname, coalesce(json_agg(json_build_array(CASE WHEN e.grantee = 0 THEN NULL
       ELSE pg_get_userbyid(e.grantee) END, e.privilege_type, e.is_grantable)) FILTER (WHERE e.grantee IS NOT NULL),
       '[]')
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN LATERAL aclexplode(a.attacl) e ON true
WHERE a.attrelid = ANY({IN_SCHEMA}) AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
GROUP BY c.relname, a.attname
"""


def _may_own(conn: psycopg.Connection, new_owner: str) -> set[str]:
    """Roles the new owner could give its objects to itself: never a superuser, else any role it belongs to."""
    return {
        r[0]
        for r in conn.execute(
            "SELECT r.rolname FROM pg_roles r WHERE NOT r.rolsuper AND pg_has_role(%s, r.oid, 'MEMBER')", [new_owner]
        ).fetchall()
    }


def apply_owners_and_grants(conn: psycopg.Connection, staging: str, live: str | None, new_owner: str) -> list[str]:
    """Owners and grants from the live tenant, never from the file; returns warnings for the result.

    Each object takes the owner and privileges of the live object of the same kind and name, the
    schema those of the live schema; an object the live tenant lacks belongs to the new owner, with
    the privileges the load gave it (the file's own grants are never run). An owner is kept only when
    the new owner could have given the object to it itself: a file's function must never end up
    owned by a superuser, or by a role with rights the clinic's owner does not have.
    """
    staged_nsp = _oid(conn, staging)
    staged = _objects(conn, staging, staged_nsp)
    live_nsp = _oid(conn, live) if live else None
    before = _objects(conn, live, live_nsp) if live and live_nsp is not None else {}
    allowed = _may_own(conn, new_owner)
    warnings: list[str] = []
    wanted: dict[tuple[str, str], tuple[str, SchemaObject | None]] = {}
    for key, obj in staged.items():
        live_obj = (
            next((o for o in before.values() if o.kind == "schema"), None) if obj.kind == "schema" else before.get(key)
        )
        if live_obj is None:
            wanted[key] = (new_owner, None)
        elif live_obj.owner in allowed or live_obj.owner == new_owner:
            wanted[key] = (live_obj.owner, live_obj)
        else:
            warnings.append(
                f"{obj.kind} {obj.name} belonged to {live_obj.owner}, which the clinic's owner cannot "
                f"act as; it now belongs to {new_owner}."
            )
            wanted[key] = (new_owner, live_obj)
    owners = [
        sql.SQL("ALTER {} OWNER TO {}").format(obj.target(staging, obj.alter_word), sql.Identifier(wanted[key][0]))
        for key, obj in staged.items()
        if wanted[key][0] != obj.owner and not obj.owner_follows_table
    ]
    changed = send_together(conn, owners) + _give_other_objects(conn, staged_nsp, new_owner)
    if changed:  # an owner change changes the access lists' owner too: read them again
        staged = _objects(conn, staging, staged_nsp)
    defaults = _schema_defaults(conn, staged_nsp)
    grants: list[sql.Composed] = []
    for key, obj in staged.items():
        live_obj = wanted[key][1]
        if live_obj is None:  # new to the clinic: what the schema's default privileges give the owner's objects
            extra = [g for g in defaults.get((obj.owner, _DEFAULT_KIND.get(obj.kind, "")), ()) if g not in obj.acl]
            if extra:
                grants += acl_statements(obj.target(staging, obj.grant_word), (), (*obj.acl, *extra), revoke=False)
        elif (live_obj.acl, live_obj.explicit) != (obj.acl, obj.explicit) and (live_obj.explicit or obj.explicit):
            grants += acl_statements(obj.target(staging, obj.grant_word), obj.acl, live_obj.acl)
    send_together(conn, grants)
    if live_nsp is not None:
        _column_privileges(conn, staging, staged_nsp, live_nsp)
    return warnings


def give_other_objects(conn: psycopg.Connection, staging: str, new_owner: str) -> None:
    """Operators, operator classes, collations... of the staging schema belong to its owner (the restore's
    superuser session creates operator classes: the file's later statements, as the owner, may comment them)."""
    _give_other_objects(conn, _oid(conn, staging), new_owner)


def _give_other_objects(conn: psycopg.Connection, nsp: int, new_owner: str) -> int:
    others = conn.execute(_OTHER_OWNED, {"nsp": nsp, "owner": new_owner}).fetchall()
    return send_together(
        conn,
        [
            sql.SQL("ALTER {} {} OWNER TO {}").format(
                sql.SQL(str(kind).upper()), sql.SQL(identity), sql.Identifier(new_owner)
            )
            for _, _, kind, identity in others
        ],
    )


def _column_privileges(conn: psycopg.Connection, staging: str, staged_nsp: int, live_nsp: int) -> None:
    with conn.pipeline():  # both reads in one round trip
        columns = conn.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            f" WHERE a.attrelid = ANY({IN_SCHEMA}) AND a.attnum > 0 AND NOT a.attisdropped",
            {"nsp": staged_nsp},
        )
        acls = conn.execute(_COLUMN_ACLS, {"nsp": live_nsp})
    staged_columns = {(t, c) for t, c in columns.fetchall()}
    grants: list[sql.Composed] = []
    for table, column, acl in acls.fetchall():
        if (table, column) not in staged_columns:
            continue
        for grantee, privilege, option in acl if isinstance(acl, list) else json.loads(acl):
            if privilege in PRIVILEGES:
                grants.append(
                    sql.SQL("GRANT {} ({}) ON TABLE {} TO {}{}").format(
                        sql.SQL(privilege),
                        sql.Identifier(column),
                        sql.Identifier(staging, table),
                        role_sql(grantee),
                        sql.SQL(" WITH GRANT OPTION" if option else ""),
                    )
                )
    send_together(conn, grants)


_DEFAULT_OBJECTS = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES"}


def apply_default_privileges(conn: psycopg.Connection, staging: str, live: str) -> list[str]:
    """The live schema's default privileges, on the new schema once it is loaded (so that loaded objects keep the
    default access list the live ones have): the web application's later objects keep getting them, and
    apply_owners_and_grants gives them to the objects the live tenant lacks. Only for roles this user may act
    for; returns warnings for the others."""
    skipped: set[str] = set()
    defaults = conn.execute(
        "SELECT pg_get_userbyid(d.defaclrole), d.defaclobjtype, CASE WHEN e.grantee = 0 THEN NULL"
        " ELSE pg_get_userbyid(e.grantee) END, e.privilege_type, e.is_grantable,"
        " (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user)"
        "  OR pg_has_role(current_user, d.defaclrole, 'USAGE')"
        " FROM pg_default_acl d, aclexplode(d.defaclacl) e WHERE d.defaclnamespace = %s",
        [_oid(conn, live)],
    ).fetchall()
    statements: list[sql.Composed] = []
    for role, objtype, grantee, privilege, option, allowed in defaults:
        if objtype not in _DEFAULT_OBJECTS or privilege not in PRIVILEGES:
            continue
        if not allowed:
            skipped.add(role)
            continue
        statements.append(
            sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON {} TO {}{}").format(
                sql.Identifier(role),
                sql.Identifier(staging),
                sql.SQL(privilege),
                sql.SQL(_DEFAULT_OBJECTS[objtype]),
                role_sql(grantee),
                sql.SQL(" WITH GRANT OPTION" if option else ""),
            )
        )
    send_together(conn, statements)
    return (
        [
            f"The default privileges {', '.join(sorted(skipped))} set in the clinic were not kept: only that role or "
            "a superuser may set them."
        ]
        if skipped
        else []
    )


_DEFAULT_KIND = {  # pg_default_acl's object type of each kind of SchemaObject
    "table": "r",
    "view": "r",
    "materialized-view": "r",
    "sequence": "S",
    "function": "f",
    "procedure": "f",
    "aggregate": "f",
    "type": "T",
}


def _schema_defaults(conn: psycopg.Connection, nsp: int) -> dict[tuple[str, str], list[Grant]]:
    """The schema's default privileges by (role, object type), as apply_default_privileges set them."""
    found: dict[tuple[str, str], list[Grant]] = {}
    for role, objtype, grantee, privilege, option in conn.execute(
        "SELECT pg_get_userbyid(d.defaclrole), d.defaclobjtype::text, CASE WHEN e.grantee = 0 THEN NULL"
        " ELSE pg_get_userbyid(e.grantee) END, e.privilege_type, e.is_grantable"
        " FROM pg_default_acl d, aclexplode(d.defaclacl) WITH ORDINALITY e(grantor, grantee, privilege_type,"
        " is_grantable, n) WHERE d.defaclnamespace = %s ORDER BY d.oid, e.n",
        [nsp],
    ).fetchall():
        found.setdefault((role, objtype), []).append((grantee, privilege, bool(option)))
    return found
