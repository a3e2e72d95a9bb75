"""Settings of the test clinic project: a django-tenants deployment shaped like the seed's web application.

The database is named by environment variables (CLINIC_DB_NAME, _HOST, _PORT, _USER, _PASSWORD) so a test
can point a child process at its own copy; the password reaches the child only through its environment.
"""

import os

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SHARED_APPS = [
    "django_tenants",
    "customers",
    "django.contrib.contenttypes",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "users",
    "specializations",
    "psychologists",
    "patients",
    "appointments",
    "chat",
    "core",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "customers.Client"
TENANT_DOMAIN_MODEL = "customers.Domain"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": os.environ.get("CLINIC_DB_NAME", "clinic"),
        "HOST": os.environ.get("CLINIC_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("CLINIC_DB_PORT", "5432"),
        "USER": os.environ.get("CLINIC_DB_USER", "clinic_web"),
        "PASSWORD": os.environ.get("CLINIC_DB_PASSWORD", ""),
        "OPTIONS": {"application_name": os.environ.get("CLINIC_DB_APPNAME", "clinic_web")},
    }
}

AUTH_USER_MODEL = "users.CustomUser"
# Tests only: a fast hasher, so creating users and checking passwords costs microseconds.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "clinic_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.request",
            ]
        },
    }
]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
