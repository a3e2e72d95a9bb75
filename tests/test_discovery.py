"""Tenant discovery against the real server: which clinics exist, how big, and what else lies around."""

from __future__ import annotations

import pytest
from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.discovery import DomainsTable, TenantsTable, find_tenants_table, tenant_record
from app.engine.errors import UsageError

DEMO_TABLE = TenantsTable(
    "public", "customers_client", "schema_name", "name", "id",
    DomainsTable("public", "customers_domain", "tenant_id", "domain", "is_primary"),
)


def _add_candidate(target: ConnectionTarget, name: str, *, with_domains: bool) -> None:
    """A second table in public that also looks like a tenants table."""
    with target.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE TABLE public.{} (id int PRIMARY KEY, schema_name text, name text)")
                     .format(sql.Identifier(name)))
        conn.execute(sql.SQL("INSERT INTO public.{} VALUES (1, 'mindcare', 'Other Mindcare')")
                     .format(sql.Identifier(name)))
        if with_domains:
            conn.execute(sql.SQL("CREATE TABLE public.{} (id int PRIMARY KEY, domain text,"
                                 " tenant_id int REFERENCES public.{} (id))")
                         .format(sql.Identifier(name + "_domain"), sql.Identifier(name)))


def test_finds_the_demo_tenants_table_and_its_domains(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        assert find_tenants_table(conn) == DEMO_TABLE


def test_tenant_record_holds_the_row_and_domains_for_the_manifest(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        conn.execute("INSERT INTO public.customers_domain (domain, is_primary, tenant_id)"
                     " SELECT 'b.example', false, id FROM public.customers_client WHERE schema_name = 'bienestar'")
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
    with demo_db.connect() as conn:
        with pytest.raises(UsageError, match="public.customers_client, public.zz_tenants.*profile"):
            find_tenants_table(conn)


def test_no_tenants_table(demo_db: ConnectionTarget) -> None:
    with demo_db.connect() as conn:
        conn.execute("ALTER TABLE public.customers_client RENAME COLUMN schema_name TO tenant_schema")
        assert find_tenants_table(conn) is None


@pytest.mark.parametrize(("override", "message"), [
    ("public.nope", "'public.nope' set in the profile does not exist"),
    ("customers_domain", "'customers_domain' set in the profile has no schema_name column"),
    ("a.b.c", "'a.b.c' is not a valid table name"),
    ('"unclosed', "is not a valid table name"),
])
def test_a_bad_override_is_named(demo_db: ConnectionTarget, override: str, message: str) -> None:
    with demo_db.connect() as conn:
        with pytest.raises(UsageError, match=message):
            find_tenants_table(conn, override)
