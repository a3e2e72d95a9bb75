#!/usr/bin/env python
"""manage.py of the test clinic project (tests/django_project): the database comes from CLINIC_DB_* variables."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
