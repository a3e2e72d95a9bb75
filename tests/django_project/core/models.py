from django.db import models


class ClinicSettings(models.Model):
    """Points at the clinic's row in `public` (a tenant table referencing a shared one), and overrides its
    table name (`db_table`), as real projects do."""

    client = models.OneToOneField("customers.Client", on_delete=models.CASCADE)
    address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(max_length=50, default="Europe/Madrid")

    class Meta:
        db_table = "clinic_settings"
