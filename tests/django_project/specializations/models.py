from django.db import models


class SpecializationManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


class Specialization(models.Model):
    """Has a natural key (its name), so `dumpdata --natural-foreign/--natural-primary` writes names, not ids."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SpecializationManager()

    def natural_key(self):
        return (self.name,)
