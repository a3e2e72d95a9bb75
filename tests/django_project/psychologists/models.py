from django.conf import settings
from django.db import models


class PsychologistProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="psychologist")
    license_number = models.CharField(max_length=50)
    bio = models.TextField(blank=True)
    years_experience = models.PositiveIntegerField(default=0)
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    specializations = models.ManyToManyField("specializations.Specialization", blank=True)
