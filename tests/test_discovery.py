"""Tenant discovery against the real server: which clinics exist, how big, and what else lies around."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from app.engine.catalog.discovery import TenantInfo, list_tenants
from app.engine.catalog.tenants_table import DomainsTable, TenantsTable, find_tenants_table, tenant_record
from app.engine.connection import ConnectionTarget
from app.engine.errors import UsageError
from app.engine.safety.registry import SchemaKind, ensure_registry, record
from app.engine.server.demo import APP_ROLE
from tests.support.cli import run_cli
from tests.support.pg import one_value

DEMO_TABLE = TenantsTable(
    "public",
    "customers_client",
    "schema_name",
    "name",
    "id",
    DomainsTable("public", "customers_domain", "tenant_id", "domain", "is_primary"),
)


def _add_candidate(target: ConnectionTarget, name: str, *, with_domains: bool) -> None:
    """A second table in public that also looks like a tenants table."""
    with target.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE TABLE public.{} (id int PRIMARY KEY, schema_name text, name text)").format(
                sql.Identifier(name)
            )
        )
        conn.execute(
            sql.SQL("INSERT INTO public.{} VALUES (1, 'mindcare', 'Other Mindcare')").format(sql.Identifier(name))
        )
        if with_domains:
            conn.execute(
                sql.SQL(
                    "CREATE TABLE public.{} (id int PRIMARY KEY, domain text, tenant_id int REFERENCES public.{} (id))"
                ).format(sql.Identifier(name + "_domain"), sql.Identifier(name))
            )


def test_finds_the_demo_tenants_table_and_its_domains(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        assert find_tenants_table(conn) == DEMO_TABLE


def test_tenant_record_holds_the_row_and_domains_for_the_manifest(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        conn.execute(
            "INSERT INTO public.customers_domain (domain, is_primary, tenant_id)"
            " SELECT 'b.example', false, id FROM public.customers_client WHERE schema_name = 'bienestar'"
        )
        record = tenant_record(conn, "bienestar", find_tenants_table(conn))
        assert record is not None
        assert record["table"] == "public.customers_client"
        assert record["row"]["schema_name"] == "bienestar"
        assert record["row"]["name"] == "Bienestar"
        assert record["row"]["paid_until"] == "2027-12-31"
        assert [d["domain"] for d in record["domains"]] == ["bienestar.localhost", "b.example"]
        assert record["domains"][0]["is_primary"] is True
        assert tenant_record(conn, "nobody", find_tenants_table(conn)) is None
        assert tenant_record(conn, "bienestar", None) is None


def test_the_table_a_domains_table_references_wins_and_override_picks_the_other(demo_db: ConnectionTarget) -> None:
    _add_candidate(demo_db, "aaa_tenants", with_domains=False)
    with demo_db.connect() as conn:
        assert find_tenants_table(conn) == DEMO_TABLE
        chosen = find_tenants_table(conn, "public.aaa_tenants")
        assert chosen == TenantsTable("public", "aaa_tenants", "schema_name", "name", "id", None)
        record = tenant_record(conn, "mindcare", chosen)
        assert record is not None and record["row"]["name"] == "Other Mindcare" and record["domains"] == []
        assert find_tenants_table(conn, "aaa_tenants") == chosen


def test_two_referenced_candidates_ask_for_the_profile_setting(demo_db: ConnectionTarget) -> None:
    _add_candidate(demo_db, "zz_tenants", with_domains=True)
    with (
        demo_db.connect() as conn,
        pytest.raises(UsageError, match=r"public\.customers_client, public\.zz_tenants.*profile"),
    ):
        find_tenants_table(conn)


def test_no_tenants_table(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        conn.execute("ALTER TABLE public.customers_client RENAME COLUMN schema_name TO tenant_schema")
        assert find_tenants_table(conn) is None


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("public.nope", "'public.nope' does not exist"),
        ("customers_domain", "'customers_domain' has no schema_name column"),
        ("a.b.c", "'a.b.c' is not a valid table name"),
        ('"unclosed', "is not a valid table name"),
    ],
)
def test_a_bad_override_is_named(demo_db: ConnectionTarget, override: str, message: str) -> None:
    with demo_db.connect() as conn, pytest.raises(UsageError, match=message):
        find_tenants_table(conn, override)


def _by_schema(target: ConnectionTarget, override: str | None = None) -> tuple[dict[str, TenantInfo], str]:
    with target.connect() as conn:
        listing = list_tenants(conn, override)
    by_schema = {t.schema: t for t in listing.tenants}
    assert len(by_schema) == len(listing.tenants), "a schema is listed twice"
    return by_schema, listing.message


def test_lists_the_demo_clinics_with_domains_and_sizes(demo_db: ConnectionTarget) -> None:
    with demo_db.connect(autocommit=True) as conn:
        conn.execute(
            "INSERT INTO public.customers_domain (domain, is_primary, tenant_id)"
            " SELECT 'mc.example', false, id FROM public.customers_client WHERE schema_name = 'mindcare'"
        )
        conn.execute("ANALYZE mindcare.appointments_appointment")
        exact_rows = one_value(conn, "SELECT count(*) FROM mindcare.appointments_appointment")
    by_schema, message = _by_schema(demo_db)
    assert set(by_schema) == {"public", "mindcare", "bienestar"}
    assert message == "3 tenants in public.customers_client."
    public = by_schema["public"]
    assert (public.kind, public.restorable, public.name, public.domain) == (
        "public",
        False,
        "Clínicas (público)",
        "localhost",
    )
    mindcare, bienestar = by_schema["mindcare"], by_schema["bienestar"]
    assert (mindcare.name, mindcare.domain, mindcare.other_domains) == (
        "Mindcare",
        "mindcare.localhost",
        ("mc.example",),
    )
    assert (bienestar.domain, bienestar.other_domains) == ("bienestar.localhost", ())
    for tenant in (mindcare, bienestar):
        assert (tenant.kind, tenant.exists, tenant.restorable, tenant.table_count) == ("tenant", True, True, 15)
        assert tenant.size_bytes > 15 * 8192  # every table has at least a page of index
        assert tenant.estimated_rows >= exact_rows > 0
        assert tenant.safety_copy_of is None and tenant.created_utc is None


def test_the_web_applications_own_role_sees_the_same_list(demo_db: ConnectionTarget) -> None:
    as_app = ConnectionTarget(make_conninfo(demo_db.conninfo, user=APP_ROLE))
    with demo_db.connect() as conn:
        as_superuser = list_tenants(conn)
    with as_app.connect() as conn:
        assert list_tenants(conn) == as_superuser


STRANGE_NAMES = ("MixedCase", "with space", 'quo"te', "clínica_ñandú", 'x"; drop schema public; --')


def test_unusual_tenant_names_are_just_names(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        for i, schema in enumerate(STRANGE_NAMES):
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("CREATE TABLE {} (id int PRIMARY KEY)").format(sql.Identifier(schema, "t")))
            conn.execute(sql.SQL("INSERT INTO {} SELECT generate_series(1, 10)").format(sql.Identifier(schema, "t")))
            client = one_value(
                conn,
                "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
                " VALUES (%s, %s, '2030-01-01', false, '2025-01-01') RETURNING id",
                [schema, f"Clinic {schema}"],
            )
            conn.execute(
                "INSERT INTO public.customers_domain (domain, is_primary, tenant_id) VALUES (%s, true, %s)",
                [f"c{i}.example", client],
            )
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
        record = tenant_record(conn, STRANGE_NAMES[-1], find_tenants_table(conn))
        assert record is not None and record["domains"][0]["domain"] == "c4.example"
    by_schema, _ = _by_schema(demo_db)
    assert set(by_schema) == {"public", "mindcare", "bienestar", *STRANGE_NAMES}
    for i, schema in enumerate(STRANGE_NAMES):
        info = by_schema[schema]
        assert (info.kind, info.exists, info.name, info.domain, info.table_count, info.estimated_rows) == (
            "tenant",
            True,
            f"Clinic {schema}",
            f"c{i}.example",
            1,
            10,
        )
        assert info.size_bytes > 0
    assert by_schema["public"].table_count == 3  # public survived its strange neighbour


def test_missing_schema_orphan_and_leftovers_of_a_restore(demo_db: ConnectionTarget) -> None:
    forged = (
        'resguardo:{"role": "safety-copy", "tenant": "bienestar", "created_utc": "2025-06-01T10:00:00Z",'
        ' "detail": "", "original_comment": null}'
    )
    with demo_db.connect(autocommit=True) as conn:
        conn.execute(
            "INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)"
            " VALUES ('ghost', 'Ghost Clinic', '2030-01-01', false, '2025-01-01')"
        )
        conn.execute("CREATE SCHEMA leftover")
        conn.execute("CREATE TABLE leftover.t (id int)")
        conn.execute("CREATE SCHEMA commented")
        conn.execute("COMMENT ON SCHEMA commented IS 'resguardo: not json'")
        conn.execute("CREATE SCHEMA rg_safety_20250601100000_forged")  # a comment, as the old markers were,
        conn.execute(sql.SQL("COMMENT ON SCHEMA rg_safety_20250601100000_forged IS {}").format(sql.Literal(forged)))
    with demo_db.connect() as conn:  # what Resguardo itself records
        ensure_registry(conn)
        for name, kind, tenant in (
            ("rg_safety_20250601100000_bienestar", SchemaKind.SAFETY_COPY, "bienestar"),
            ("rg_staging_abc123_mindcare", SchemaKind.STAGING, "mindcare"),
        ):
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
            [(oid, owner)] = conn.execute(
                "SELECT oid, nspowner FROM pg_namespace WHERE nspname = %s", [name]
            ).fetchall()
            record(conn, oid, name, kind, tenant, owner)
        conn.commit()
    by_schema, message = _by_schema(demo_db)
    assert message == "4 tenants in public.customers_client, 1 without a schema; 5 other schemas."
    ghost = by_schema["ghost"]
    assert (ghost.kind, ghost.exists, ghost.restorable, ghost.size_bytes, ghost.table_count) == (
        "tenant",
        False,
        True,
        0,
        0,
    )
    leftover = by_schema["leftover"]
    assert (leftover.kind, leftover.restorable, leftover.table_count, leftover.name) == ("orphan", False, 1, "leftover")
    assert by_schema["commented"].kind == "orphan"
    assert by_schema["rg_safety_20250601100000_forged"].kind == "orphan"  # a comment proves nothing
    assert "resguardo" not in by_schema  # Resguardo's own record is not a clinic
    safety = by_schema["rg_safety_20250601100000_bienestar"]
    assert (safety.kind, safety.restorable, safety.safety_copy_of) == ("safety-copy", False, "bienestar")
    assert safety.created_utc is not None and safety.created_utc.endswith("Z")
    stage = by_schema["rg_staging_abc123_mindcare"]
    assert (stage.kind, stage.safety_copy_of) == ("staging", "mindcare")


def test_without_tenants_table_plain_schemas_are_listed(demo_db: ConnectionTarget) -> None:
    with demo_db.connect(autocommit=True) as conn:
        conn.execute("ALTER TABLE public.customers_client RENAME COLUMN schema_name TO tenant_schema")
    with demo_db.connect() as conn:
        listing = list_tenants(conn)
    assert listing.tenants_table is None
    assert listing.message.startswith("No tenants table found in public; listing plain schemas")
    kinds = {t.schema: (t.kind, t.restorable, t.table_count) for t in listing.tenants}
    assert kinds == {
        "public": ("public", False, 3),
        "mindcare": ("schema", True, 15),
        "bienestar": ("schema", True, 15),
    }


def test_listing_follows_the_override(demo_db: ConnectionTarget) -> None:
    _add_candidate(demo_db, "aaa_tenants", with_domains=False)
    by_schema, message = _by_schema(demo_db, "aaa_tenants")
    assert message.startswith("1 tenant in public.aaa_tenants")
    assert by_schema["mindcare"].name == "Other Mindcare" and by_schema["mindcare"].domain is None
    assert by_schema["bienestar"].kind == "orphan"
    with demo_db.connect() as conn, pytest.raises(UsageError, match="does not exist"):
        list_tenants(conn, "public.nope")


class CountingCursor(psycopg.Cursor):
    """Counts the statements sent, to prove the listing does not query per tenant."""

    statements = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.statements += 1
        return super().execute(*args, **kwargs)


def test_a_thousand_tenants_take_a_fixed_number_of_queries(demo_db: ConnectionTarget) -> None:
    with demo_db.connect(autocommit=True) as conn:
        for batch in range(4):
            conn.execute(
                """
                DO $$ DECLARE i int; cid bigint; BEGIN
                FOR i IN %s..%s LOOP
                    EXECUTE format('CREATE SCHEMA %%I', 'gen_' || i);
                    EXECUTE format('CREATE TABLE %%I.t (id int PRIMARY KEY)', 'gen_' || i);
                    INSERT INTO public.customers_client (schema_name, name, paid_until, on_trial, created_on)
                        VALUES ('gen_' || i, 'Clinic ' || i, '2030-01-01', false, '2025-01-01') RETURNING id INTO cid;
                    INSERT INTO public.customers_domain (domain, is_primary, tenant_id)
                        VALUES ('gen' || i || '.example', true, cid), ('alt' || i || '.example', false, cid);
                END LOOP; END $$
                """.replace("%s..%s", f"{batch * 250}..{batch * 250 + 249}").replace("%%", "%")
            )
    CountingCursor.statements = 0
    with psycopg.connect(demo_db.conninfo, cursor_factory=CountingCursor) as conn:
        listing = list_tenants(conn)
    assert CountingCursor.statements <= 5  # the tables locked and their column types checked: two more
    generated = [t for t in listing.tenants if t.schema.startswith("gen_")]
    assert len(generated) == 1000
    assert all(t.kind == "tenant" and t.exists and t.table_count == 1 and t.size_bytes > 0 for t in generated)
    assert {(t.name, t.domain, t.other_domains) for t in generated} == {
        (f"Clinic {i}", f"gen{i}.example", (f"alt{i}.example",)) for i in range(1000)
    }


def test_cli_prints_json_objects_and_a_readable_table(demo_db: ConnectionTarget) -> None:
    with demo_db.connect(autocommit=True) as conn:
        conn.execute("CREATE SCHEMA leftover")
    result = run_cli("tenants", "--json", "--dsn", demo_db.conninfo)
    assert result.returncode == 0, result.stderr
    objects = {o["schema"]: o for o in json.loads(result.stdout)}
    assert set(objects) == {"public", "mindcare", "bienestar", "leftover"}
    mindcare = objects["mindcare"]
    assert (mindcare["name"], mindcare["domain"], mindcare["exists"], mindcare["kind"]) == (
        "Mindcare",
        "mindcare.localhost",
        True,
        "tenant",
    )
    assert mindcare["size_bytes"] > 0 and mindcare["table_count"] == 15 and mindcare["other_domains"] == []
    assert (objects["public"]["kind"], objects["public"]["restorable"]) == ("public", False)
    assert objects["leftover"]["kind"] == "orphan"

    table = run_cli("tenants", "--dsn", demo_db.conninfo)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["SCHEMA", "NAME", "DOMAIN", "SIZE", "TABLES", "ROWS", "KIND"]
    assert any(line.startswith("mindcare ") and "mindcare.localhost" in line and " 15 " in line for line in lines)
    assert lines[-1] == "3 tenants in public.customers_client; 1 other schema."


def test_cli_tenants_table_option_and_its_errors(demo_db: ConnectionTarget) -> None:
    bad = run_cli("tenants", "--tenants-table", "public.nope", "--dsn", demo_db.conninfo)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "resguardo: The tenants table 'public.nope' does not exist."


def test_cli_exits_1_with_one_line_when_the_server_is_unreachable() -> None:
    result = run_cli("tenants", "--json", "--dsn", "host=127.0.0.1 port=1 dbname=nothing user=nobody")
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot be reached" in result.stderr
