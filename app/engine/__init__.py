"""Everything that talks to PostgreSQL and to files. Nothing here imports Qt."""
