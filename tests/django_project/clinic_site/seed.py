"""The clinics of the tests, written through the ORM: what the seed's web application would hold.

Every value is fixed (no clock, no randomness) except the `auto_now` columns, so two clinics seeded
alike differ only where the ORM fills in the time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from appointments.models import Appointment
from chat.models import ChatMessage
from core.models import ClinicSettings
from customers.models import Client, Domain
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django_tenants.utils import schema_context
from patients.models import PatientProfile
from psychologists.models import PsychologistProfile
from specializations.models import Specialization
from users.models import CustomUser

ADMIN = ("admin@gmail.com", "admin")
PSYCHOLOGISTS = tuple(f"psicologo{i}@test.com" for i in (1, 2, 3))
PATIENTS = tuple(f"paciente{i}@test.com" for i in (1, 2, 3, 4, 5))
USER_PASSWORD = "password123"
SPECIALIZATIONS = (
    ("Psicología Clínica", "Evaluación y tratamiento de trastornos mentales."),
    ("Terapia Cognitivo-Conductual", "Cambio de pensamientos y conductas disfuncionales."),
    ("Psicología Infantil", "Atención a niños y adolescentes."),
    ("Terapia de Pareja", "Acompañamiento a parejas en conflicto."),
    ("Neuropsicología", "Relación entre cerebro y conducta."),
    ("Psicología Organizacional", "Bienestar y desempeño en el trabajo."),
    ("Terapia Familiar", "Dinámicas y vínculos familiares."),
    ("Psicología de la Salud", "Hábitos, enfermedad crónica y calidad de vida."),
)
START = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def seed_clinics() -> None:
    """`public`, `bienestar` and `mindcare`, each with its users, profiles, appointments and messages."""
    add_clinic("public", "Clínicas (público)", populate=False)
    add_clinic("bienestar", "Bienestar", appointments=20, messages=60)
    add_clinic("mindcare", "Mindcare", appointments=20, messages=60)


def add_clinic(schema: str, name: str, *, populate: bool = True, appointments: int = 20, messages: int = 60) -> int:
    """A tenant row (its schema made by django-tenants' `migrate_schemas`), its domain, and its data."""
    client = Client(schema_name=schema, name=name)
    client.save(verbosity=0)
    Domain.objects.create(
        domain=f"{schema}.localhost" if schema != "public" else "localhost", tenant=client, is_primary=True
    )
    if populate:
        with schema_context(schema):
            _populate(client, appointments, messages)
    return int(client.pk)


def _populate(client: Client, appointment_count: int, message_count: int) -> None:
    specializations = [Specialization.objects.create(name=n, description=d) for n, d in SPECIALIZATIONS]
    groups = {
        role: Group.objects.create(name=label)
        for role, label in (("psychologist", "Psicólogos"), ("patient", "Pacientes"))
    }
    groups["psychologist"].permissions.set(
        Permission.objects.filter(
            codename__in=["view_appointment", "change_appointment", "view_chatmessage", "add_chatmessage"]
        )
    )
    admin = CustomUser.objects.create_superuser(ADMIN[0], ADMIN[1], first_name="Admin", last_name="Clínica")
    psychologists = []
    for i, email in enumerate(PSYCHOLOGISTS, 1):
        user = CustomUser.objects.create_user(
            email, USER_PASSWORD, first_name=f"Psicólogo{i}", last_name="Demo", role="psychologist"
        )
        user.groups.add(groups["psychologist"])
        profile = PsychologistProfile.objects.create(
            user=user,
            license_number=f"COL-{i:05d}",
            bio=f"Psicólogo de {client.name}",
            years_experience=3 + i,
            hourly_rate=Decimal("45.50") + i,
        )
        profile.specializations.set([s for j, s in enumerate(specializations) if (i + j) % 3 == 0])
        psychologists.append(profile)
    patients = []
    for i, email in enumerate(PATIENTS, 1):
        user = CustomUser.objects.create_user(
            email,
            USER_PASSWORD,
            first_name=f"Paciente{i}",
            last_name="Demo",
            role="patient",
            phone=f"+34 600 000 {i:03d}",
        )
        user.groups.add(groups["patient"])
        patients.append(
            PatientProfile.objects.create(
                user=user,
                birth_date=date(1980, 1, 1) + timedelta(days=997 * i % 9000),
                emergency_contact=f"+34 600 100 {i:03d}",
            )
        )
    ClinicSettings.objects.create(
        client=client, address=f"Calle Mayor {client.pk}, Madrid", phone=f"+34 91 000 00 {client.pk}"
    )
    appointments = [
        Appointment.objects.create(
            patient=patients[g % len(patients)],
            psychologist=psychologists[g % len(psychologists)],
            scheduled_at=START + g * timedelta(minutes=37),
            status=("scheduled", "completed", "cancelled", "no_show")[g % 4],
            notes=f"Sesión {g} de {client.name}",
        )
        for g in range(appointment_count)
    ]
    for g in range(message_count):
        appointment = appointments[g % len(appointments)] if g % 7 else None
        patient, psychologist = patients[g % len(patients)].user, psychologists[g % len(psychologists)].user
        sender, recipient = (patient, psychologist) if g % 2 == 0 else (psychologist, patient)
        ChatMessage.objects.create(
            sender=sender,
            recipient=recipient,
            appointment=appointment,
            content=f"Mensaje {g}: ¿podemos hablar el jueves?",
            is_read=g % 3 != 0,
        )
    patients[0].user.user_permissions.set(Permission.objects.filter(codename="view_specialization"))
    session = SessionStore()  # the administrator is logged in
    session.update({"_auth_user_id": str(admin.pk), "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"})
    session.create()
    specialization_type = ContentType.objects.get_for_model(Specialization)
    for specialization in specializations[:3]:
        LogEntry.objects.create(
            user=admin,
            content_type=specialization_type,
            object_id=str(specialization.pk),
            object_repr=specialization.name,
            action_flag=ADDITION,
            change_message="[]",
        )
