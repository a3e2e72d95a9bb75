"""What the tests' helpers (tests/support/django_app.py) run inside a child process of the clinic project.

`python -m clinic_site.child MODE`, with the database in CLINIC_DB_* variables and the tenant in
CLINIC_SCHEMA (none: `public`). Modes:

- `code`: run the Python code read from stdin, in the tenant's schema; a `result` it sets is written as
  JSON to the file named by CLINIC_RESULT_PATH.
- `writer`: run the loop body read from stdin's first line (a JSON string; it sets `written` to what it
  wrote; `n` counts the turns) until stdin says `stop` or closes; print `ok <written as JSON>` after
  each commit, `error <message>` after each failure.
- `hold`: read one JSON line {"before": code, "after": code} from stdin; inside one `atomic()` run
  `before`, print `held`, wait for the line `go`, run `after`; print `committed` or `failed <message>`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

import django


def _namespace() -> dict[str, Any]:
    from appointments.models import Appointment
    from chat.models import ChatMessage
    from core.models import ClinicSettings
    from customers.models import Client, Domain
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tenants.utils import schema_context
    from patients.models import PatientProfile
    from psychologists.models import PsychologistProfile
    from specializations.models import Specialization
    from users.models import CustomUser

    return {
        "User": CustomUser,
        "Client": Client,
        "Domain": Domain,
        "Specialization": Specialization,
        "PsychologistProfile": PsychologistProfile,
        "PatientProfile": PatientProfile,
        "Appointment": Appointment,
        "ChatMessage": ChatMessage,
        "ClinicSettings": ClinicSettings,
        "Group": Group,
        "Permission": Permission,
        "ContentType": ContentType,
        "transaction": transaction,
        "connection": connection,
        "schema_context": schema_context,
        "call_command": call_command,
    }


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _run_code(namespace: dict[str, Any]) -> None:
    exec(compile(sys.stdin.read(), "<run_django>", "exec"), namespace)
    path = os.environ.get("CLINIC_RESULT_PATH")
    if path and "result" in namespace:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(namespace["result"], out, default=str)


def _writer(namespace: dict[str, Any]) -> None:
    from django.db import close_old_connections, connection

    body = compile(json.loads(sys.stdin.readline()), "<writer>", "exec")
    stop = threading.Event()

    def watch_stdin() -> None:
        for line in sys.stdin:
            if line.strip() == "stop":
                break
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    pause = float(os.environ.get("CLINIC_WRITER_PAUSE", "0"))
    n = 0
    while not stop.is_set():
        n += 1
        namespace["n"] = n
        namespace.pop("written", None)
        try:
            exec(body, namespace)
            _say("ok " + json.dumps(namespace.get("written"), default=str))
        except Exception as exc:  # the restore may make one write fail; the loop reports it and goes on
            _say("error " + _first_line(exc))
            connection.close()
            close_old_connections()
            time.sleep(0.05)
        if pause:
            time.sleep(pause)


def _hold(namespace: dict[str, Any]) -> None:
    from django.db import transaction

    steps = json.loads(sys.stdin.readline())
    try:
        with transaction.atomic():
            exec(compile(steps["before"], "<before>", "exec"), namespace)
            _say("held")
            while (line := sys.stdin.readline()).strip() != "go":
                if not line:
                    raise RuntimeError("stdin closed before go: the block rolls back")
            exec(compile(steps["after"], "<after>", "exec"), namespace)
        _say("committed")
    except Exception as exc:
        _say("failed " + _first_line(exc))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic_site.settings")
    django.setup()
    from django_tenants.utils import schema_context

    namespace = _namespace()
    mode = sys.argv[1]
    run = {"code": _run_code, "writer": _writer, "hold": _hold}[mode]
    with schema_context(os.environ.get("CLINIC_SCHEMA") or "public"):
        run(namespace)


if __name__ == "__main__":
    main()
