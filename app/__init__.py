"""Resguardo: per-tenant backup and restore for django-tenants PostgreSQL databases."""

__version__ = "0.1.0"
