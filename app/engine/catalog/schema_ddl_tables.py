"""The schema's relations in pre-data: sequences, tables (plain, unlogged, typed, inherited, partitioned and
their partitions), views and materialized views.

Partitions are written as pg_dump 18 writes them: a table with all its columns and inherited CHECK and
NOT NULL constraints, then `ALTER TABLE ONLY <parent> ATTACH PARTITION`, so each partition keeps its own
column order and is loaded as a table of its own. Validated CHECK constraints are written inside
CREATE TABLE (children inherit them, and ATTACH needs them); a NOT VALID one comes after the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.catalog.schema_ddl_base import Extraction
from app.engine.catalog.schema_ddl_order import Block, Separable
from app.engine.catalog.schema_ddl_relations import REL_KINDS, Column, Rel, TableCopy, read_columns


def write_relations(x: Extraction, rels: list[Rel]) -> list[TableCopy]:
    """Pre-data of every relation; returns the tables whose rows the backup copies, by name."""
    tables = [r for r in rels if r.kind in ("r", "p")]
    views = [r for r in rels if r.kind in ("v", "m")]
    columns = read_columns(x, [r.oid for r in tables + views])
    _sequences(x, [r for r in rels if r.kind == "S"], {r.oid: r for r in tables})
    checks = _checks(x, tables)
    shapes = _Shapes(
        bounds=x.deparser.expressions("partition_bound", [t.oid for t in tables if t.ispartition]),
        keys=x.deparser.definitions("partition_key", [t.oid for t in tables if t.kind == "p"]),
        of_types=dict(
            zip(
                [t.oid for t in tables if t.oftype],
                x.types([(t.oftype, None) for t in tables if t.oftype]),
                strict=True,
            )
        ),
        columns=columns,
    )
    copies = []
    for t in tables:
        cols = columns.get(t.oid, [])
        _table(x, t, cols, checks.get(t.oid, []), shapes)
        if t.kind == "r":
            copies.append(TableCopy(t.name, [{"name": c.name, "type": c.typ} for c in cols if not c.generated], t.size))
    definitions = x.deparser.definitions("view", [v.oid for v in views])
    for v in views:
        _view(x, v, columns.get(v.oid, []), definitions[v.oid])
    for r in rels:
        _, word = REL_KINDS[r.kind]
        x.comment_on(("pg_class", r.oid, 0), f"{word} {r.q}")
        for c in columns.get(r.oid, []):
            x.comment_on(("pg_class", r.oid, c.num), f"COLUMN {r.q}.{c.q}")
    return copies


def _sequences(x: Extraction, seqs: list[Rel], tables: dict[int, Rel]) -> None:
    made = [s for s in seqs if not s.identity]
    info = {
        row[0]: row[1:]
        for row in x.q(
            "SELECT q.seqrelid, q.seqtypid, q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle"
            " FROM pg_catalog.pg_sequence q WHERE q.seqrelid = ANY(%(oids)s)",
            {"oids": [s.oid for s in made]},
        )
    }
    types = dict(zip([s.oid for s in made], x.types([(info[s.oid][0], None) for s in made]), strict=True))
    for s in made:
        _, start, inc, smin, smax, cache, cycle = info[s.oid]
        unlogged = "UNLOGGED " if s.persistence == "u" else ""
        x.add(
            ("pg_class", s.oid),
            "sequence",
            s.name,
            [
                (
                    f"sequence {s.name}",
                    f"CREATE {unlogged}SEQUENCE {s.q} AS {types[s.oid]} START WITH {start} INCREMENT BY {inc}"
                    f" MINVALUE {smin} MAXVALUE {smax} CACHE {cache}{' CYCLE' if cycle else ''}",
                )
            ],
        )
        if s.owned_by:
            table = tables[s.owned_by[0]]
            x.add(
                ("owned-by", s.oid),
                "owned-by",
                s.name,
                [(f"sequence {s.name}", f"ALTER SEQUENCE {s.q} OWNED BY {table.q}.{s.owned_by[1]}")],
                {("pg_class", s.oid), ("pg_class", table.oid)},
            )


def _checks(x: Extraction, tables: list[Rel]) -> dict[int, list[tuple[int, str, str, bool]]]:
    """Validated CHECK constraints each table writes in CREATE TABLE: (oid, quoted name, definition, local);
    a partition writes its inherited ones too. NOT VALID ones go to post-data."""
    rows = x.q(
        "SELECT o.oid, o.conrelid, o.conname, pg_catalog.quote_ident(o.conname), o.convalidated, o.conislocal"
        " FROM pg_catalog.pg_constraint o WHERE o.contype = 'c' AND o.conrelid = ANY(%(oids)s)"
        ' ORDER BY o.conrelid, o.conname COLLATE "C"',
        {"oids": [t.oid for t in tables]},
    )
    definitions = x.deparser.definitions("constraint", [r[0] for r in rows])
    by_oid = {t.oid: t for t in tables}
    out: dict[int, list[tuple[int, str, str, bool]]] = {}
    for oid, rel, name, qname, validated, local in rows:
        table = by_oid[rel]
        x.comment_on(("pg_constraint", oid, 0), f"CONSTRAINT {qname} ON {table.q}")
        if validated and (local or table.ispartition):
            out.setdefault(rel, []).append((oid, qname, definitions[oid], local))
            x.aliases[("pg_constraint", oid)] = ("pg_class", rel)
        elif not validated and local:
            # It recurses to inheritance children: then it cannot be built with this one table's rows.
            label = "inherited-constraint" if table.has_children else "constraint"
            x.post_add(
                "constraint", f"{label} {name}", f"ALTER TABLE {table.q} ADD CONSTRAINT {qname} {definitions[oid]}"
            )
    return out


@dataclass
class _Shapes:
    """What the deparsers said about the tables, read once for all of them."""

    bounds: dict[int, str | None]  # partition -> `FOR VALUES ...` or `DEFAULT`
    keys: dict[int, str]  # partitioned table -> its PARTITION BY key
    of_types: dict[int, str]  # typed table -> its type
    columns: dict[int, list[Column]]


def _column_sql(c: Column, *, with_default: bool, identity: bool) -> str:
    parts = [c.q, c.typ]
    if c.collation:
        parts.append(f"COLLATE {c.collation}")
    if c.generated:
        kind = "STORED" if c.generated == "s" else "VIRTUAL"
        parts.append(f"GENERATED ALWAYS AS ({c.default}) {kind}")
    elif c.identity and identity:
        how = "ALWAYS" if c.identity == "a" else "BY DEFAULT"
        opts = ""
        if c.sequence:
            name, start, inc, smin, smax, cache, cycle = c.sequence
            opts = (
                f" (SEQUENCE NAME {name} START WITH {start} INCREMENT BY {inc} MINVALUE {smin}"
                f" MAXVALUE {smax} CACHE {cache}{' CYCLE' if cycle == 'true' else ''})"
            )
        parts.append(f"GENERATED {how} AS IDENTITY{opts}")
    elif c.default is not None and with_default:
        parts.append(f"DEFAULT {c.default}")
    if c.notnull:
        parts.append(f"CONSTRAINT {c.not_null_name} NOT NULL" if c.not_null_name else "NOT NULL")
        if not c.not_null_inherit:
            parts.append("NO INHERIT")
    return " ".join(parts)


def _table(
    x: Extraction, t: Rel, cols: list[Column], checks: list[tuple[int, str, str, bool]], shapes: _Shapes
) -> None:
    """One table's CREATE TABLE (and ATTACH PARTITION, column settings); column defaults are separable."""
    inherits = bool(t.parents) and not t.ispartition
    written = [c for c in cols if c.local or t.ispartition] if not t.oftype else cols
    parent_defaults = {c.name: c.default for p, _ in t.parents for c in shapes.columns.get(p, [])}
    inherited_defaults = [
        c
        for c in cols
        if inherits
        and not c.local
        and c.default is not None
        and not c.generated
        and c.default != parent_defaults.get(c.name)
    ]
    separable = {
        c.num: Separable(
            set(), (f"table {t.name}", f"ALTER TABLE ONLY {t.q} ALTER COLUMN {c.q} SET DEFAULT {c.default}")
        )
        for c in written
        if c.default is not None and not c.generated and not c.identity
    }
    bound, key, of_type = shapes.bounds.get(t.oid), shapes.keys.get(t.oid), shapes.of_types.get(t.oid)

    def render(deferred: frozenset[int]) -> list[Block]:
        label = f"table {t.name}"
        lines = []
        for c in written:
            if of_type:
                parts = [c.q, "WITH OPTIONS"]
                if c.default is not None and c.num not in deferred:
                    parts.append(f"DEFAULT {c.default}")
                if c.notnull:
                    parts.append("NOT NULL")
                if len(parts) > 2:
                    lines.append("    " + " ".join(parts))
                continue
            # a partition's identity column is its parent's: ATTACH gives it
            lines.append("    " + _column_sql(c, with_default=c.num not in deferred, identity=not t.ispartition))
        lines += [
            f"    CONSTRAINT {qname} {definition}" for _, qname, definition, local in checks if local or t.ispartition
        ]
        separator = ",\n"
        body = f" (\n{separator.join(lines)}\n)" if lines else ("" if of_type else " (\n)")
        head = f"CREATE {'UNLOGGED ' if t.persistence == 'u' else ''}TABLE {t.q}"
        head += f" OF {of_type}{body}" if of_type else body
        if inherits:
            head += f"\nINHERITS ({', '.join(q for _, q in t.parents)})"
        if key:
            head += f"\nPARTITION BY {key}"
        if t.method:
            head += f"\nUSING {t.method}"
        if t.options:
            head += f"\nWITH ({', '.join(t.options)})"
        blocks = [(label, head)]
        if t.ispartition:
            blocks.append((label, f"ALTER TABLE ONLY {t.parents[0][1]} ATTACH PARTITION {t.q} {bound}"))
        blocks += [
            (label, f"ALTER TABLE ONLY {t.q} ALTER COLUMN {c.q} SET DEFAULT {c.default}") for c in inherited_defaults
        ]
        settings = _column_settings(cols)
        if settings:
            blocks.append((label, f"ALTER TABLE ONLY {t.q} " + ", ".join(settings)))
        if t.replident in ("f", "n"):
            identity = "FULL" if t.replident == "f" else "NOTHING"
            blocks.append((label, f"ALTER TABLE ONLY {t.q} REPLICA IDENTITY {identity}"))
        return blocks

    deps = {("pg_class", p) for p, _ in t.parents} | ({("pg_type", t.oftype)} if t.oftype else set())
    x.add_rendered(("pg_class", t.oid), "table", t.name, render, deps, separable)


def _column_settings(cols: list[Column]) -> list[str]:
    out = []
    for c in cols:
        if c.stattarget >= 0:
            out.append(f"ALTER COLUMN {c.q} SET STATISTICS {c.stattarget}")
        if c.storage:
            out.append(f"ALTER COLUMN {c.q} SET STORAGE {c.storage}")
        if c.compression:
            out.append(f"ALTER COLUMN {c.q} SET COMPRESSION {c.compression}")
        if c.options:
            out.append(f"ALTER COLUMN {c.q} SET ({', '.join(c.options)})")
    return out


def _view(x: Extraction, v: Rel, cols: list[Column], text: str | None) -> None:
    definition = (text or "").strip().rstrip(";")
    with_opts = f" WITH ({', '.join(v.options)})" if v.options else ""
    label = f"{REL_KINDS[v.kind][0]} {v.name}"
    if v.kind == "m":
        using = f" USING {v.method}" if v.method else ""
        blocks = [(label, f"CREATE MATERIALIZED VIEW {v.q}{using}{with_opts} AS\n{definition}\nWITH NO DATA")]
    else:
        blocks = [(label, f"CREATE VIEW {v.q}{with_opts} AS\n{definition}")]
    blocks += [
        (label, f"ALTER VIEW {v.q} ALTER COLUMN {c.q} SET DEFAULT {c.default}") for c in cols if c.default is not None
    ]
    x.add(("pg_class", v.oid), "view", v.name, blocks)
