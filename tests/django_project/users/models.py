"""The clinic's accounts: email login, roles; superusers are the administrators a restore keeps."""

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class CIEmailField(models.EmailField):
    """An email column of type citext (the extension lives in `public`), as the seed's users table has."""

    def db_type(self, connection):
        return "citext"


class CustomUserManager(BaseUserManager):
    def create_user(self, email, password=None, **fields):
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True, role="admin")
        return self.create_user(email, password, **fields)


class CustomUser(AbstractBaseUser, PermissionsMixin):
    ROLES = (("admin", "Administrador"), ("psychologist", "Psicólogo"), ("patient", "Paciente"))

    email = CIEmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=ROLES, default="patient")
    phone = models.CharField(max_length=20, blank=True, default="")
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = CustomUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
