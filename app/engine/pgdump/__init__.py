"""pg_dump, pg_restore and psql: finding a fitting binary, reading their SQL."""
