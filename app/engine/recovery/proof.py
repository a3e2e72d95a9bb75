"""The proof a recovery (or its undo) adds to the isolation proof: inside the clinic, only the rows it meant.

From the transaction's own row counters (app/engine/safety/isolation.py `write_counts`, taken when the work
began): no catalog row written (no table, trigger or function made or changed), no row updated or deleted
(an insert) or inserted or updated (an undo) anywhere, and each table's count exactly what was planned; a
table's TOAST table may take the inserts of its long values. A trigger of the clinic's owner that writes
anything more makes the whole recovery refuse and roll back, naming the table: undo could not remove it.
The isolation proof (app/engine/safety/proven.py) still runs after this one, for everything outside.
"""

from __future__ import annotations

from typing import Literal

import psycopg

from app.engine.errors import RestoreFailed
from app.engine.safety.isolation import Counts, write_counts

_FOLLOWS = {"pg_statistic", "pg_statistic_ext_data"}  # statistics follow their tables

_RELATIONS = """
SELECT c.oid, n.nspname, c.relname, pg_catalog.format('%%I.%%I', n.nspname, c.relname)
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = ANY(%s::pg_catalog.oid[])
"""


def prove_only(
    conn: psycopg.Connection,
    before: Counts,
    expected: dict[int, int],
    kind: Literal["insert", "delete"],
    action: str,
) -> None:
    """Raise RestoreFailed unless the transaction only inserted (or only deleted) `expected` rows per table oid."""
    conn.execute("SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)")
    grown: dict[int, tuple[int, int, int]] = {}
    for oid, now in write_counts(conn).items():
        then = before.get(oid, (0, 0, 0))
        delta = (now[0] - then[0], now[1] - then[1], now[2] - then[2])
        if any(delta):
            grown[oid] = delta
    described = {int(r[0]): r[1:] for r in conn.execute(_RELATIONS, [list(grown)]).fetchall()}
    wrong: list[str] = []
    for oid, (ins, upd, dele) in sorted(grown.items()):
        nsp, rel, qualified = described.get(oid, ("?", "?", f"relation {oid}"))
        if nsp == "pg_catalog":
            if rel not in _FOLLOWS:
                wrong.append(f"the clinic's structure ({rel})")
            continue
        if nsp == "pg_toast":  # long values of the rows written: they follow their rows
            if (kind == "insert" and (upd or dele)) or (kind == "delete" and (ins or upd)):
                wrong.append(f"{qualified} ({ins} inserted, {upd} updated, {dele} deleted)")
            continue
        done = ins if kind == "insert" else dele
        others = (upd + dele) if kind == "insert" else (ins + upd)
        if others or done != expected.get(oid, 0):
            wrong.append(f"table {qualified} ({ins} rows inserted, {upd} updated, {dele} deleted)")
    missing = [oid for oid, count in expected.items() if count and oid not in grown]
    if missing:
        wrong.append(f"{len(missing)} tables it meant to write were not written")
    if wrong:
        meant = "only inserts the recovered rows" if kind == "insert" else "only deletes the recovered rows"
        raise RestoreFailed(
            f"{action} changed {'; '.join(wrong[:5])}, though it {meant} (a trigger or rule of the clinic did more); "
            "it was rolled back.",
            "\n".join(wrong),
        )
