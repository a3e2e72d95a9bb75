"""Benchmarks: Resguardo against pg_dump, pg_restore and psql, side by side on one server.

Run `python -m bench --help`; bench/README.md says what each figure means.
"""
