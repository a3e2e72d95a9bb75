"""The shared app: one Client per clinic (its schema) and its domains, in `public`."""

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    paid_until = models.DateField(default="2027-12-31")
    on_trial = models.BooleanField(default=False)
    created_on = models.DateField(auto_now_add=True)


class Domain(DomainMixin):
    pass
