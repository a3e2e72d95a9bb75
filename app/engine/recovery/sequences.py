"""Identity and serial sequences moved past the keys a recovery inserted: forwards only, and only when needed.

The live clinic keeps taking values while Resguardo works, so the sequence is never set from the table's
largest value (a value the web application takes between the read and the `setval` would be given again):
only when the largest inserted key of a column is beyond the sequence's current value — the rows recovered
came from above where the sequence is now — is it set to that key, in the same statement that reads it.
Only sequences owned by the written table's own columns (identity or `OWNED BY`) in the clinic are touched.
"""

from __future__ import annotations

import psycopg

from app.engine.recovery.model import TablePlan

_OWNED = """
SELECT s.oid, a.attname FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S' AND s.relnamespace = %(nsp)s
JOIN pg_catalog.pg_sequence q ON q.seqrelid = s.oid AND q.seqincrement > 0
JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND d.deptype IN ('a', 'i') AND d.refobjid = %(table)s
"""

_FORWARD = """
SELECT pg_catalog.setval(%(seq)s::pg_catalog.oid::pg_catalog.regclass, %(top)s)
WHERE %(top)s > COALESCE(pg_catalog.pg_sequence_last_value(%(seq)s::pg_catalog.oid::pg_catalog.regclass),
                         (SELECT q.seqstart - 1 FROM pg_catalog.pg_sequence q WHERE q.seqrelid = %(seq)s))
"""


def move_sequences(conn: psycopg.Connection, schema_oid: int, table_oid: int, table: TablePlan) -> int:
    """Sequences of `table` set past its inserted keys; how many moved."""
    moved = 0
    for seq, column in conn.execute(_OWNED, {"nsp": schema_oid, "table": table_oid}).fetchall():
        if column not in table.columns:
            continue
        at = table.columns.index(column)
        values = [r.line.split(b"\t")[at] for r in table.rows]
        numbers = [int(v) for v in values if v.lstrip(b"-").isdigit()]
        if not numbers:
            continue
        if conn.execute(_FORWARD, {"seq": int(seq), "top": max(numbers)}).fetchone() is not None:
            moved += 1
    return moved
