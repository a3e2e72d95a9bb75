"""Backing up one tenant: natively (psycopg only) or through pg_dump."""
