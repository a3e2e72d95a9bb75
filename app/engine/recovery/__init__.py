"""Recovering chosen records from a backup into the live clinic, and undoing it (docs/recover.md)."""
