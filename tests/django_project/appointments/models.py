from django.db import models


class Appointment(models.Model):
    STATUSES = (
        ("scheduled", "Programada"),
        ("completed", "Completada"),
        ("cancelled", "Cancelada"),
        ("no_show", "No asistió"),
    )

    patient = models.ForeignKey("patients.PatientProfile", on_delete=models.CASCADE, related_name="appointments")
    psychologist = models.ForeignKey(
        "psychologists.PsychologistProfile", on_delete=models.CASCADE, related_name="appointments"
    )
    scheduled_at = models.DateTimeField(db_index=True)
    duration_minutes = models.PositiveIntegerField(default=50)
    status = models.CharField(max_length=20, choices=STATUSES, default="scheduled")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
