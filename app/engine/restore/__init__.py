"""Restoring one tenant: the job, its sources, preview, undo and discard, owners and administrators."""
