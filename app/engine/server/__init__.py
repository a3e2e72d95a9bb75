"""The embedded PostgreSQL server and the demo clinics."""
