"""Rehearsed restores: a backup loaded into a staging schema through the restore's safe path, checked, dropped."""
