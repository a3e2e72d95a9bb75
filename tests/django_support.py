"""Only for bench/django_json_case.py, which imports these names from here: the helpers are in
tests/support/django_app.py. Goes once the benchmark imports them from there."""

from tests.support.django_app import APP_ROLE, PROJECT, django_env, ensure_app_role, run_django

__all__ = ["APP_ROLE", "PROJECT", "django_env", "ensure_app_role", "run_django"]
