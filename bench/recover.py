"""Issue 23: comparing a backup with the live clinic (`resguardo diff`) and recovering one patient
(`resguardo recover`, `resguardo undo-recover`), each against a whole restore of the same backup.

    python -m bench.recover --size 1GB --repeat 5

The live clinic is a copy of the rows case's `bienestar` (bench/dataset.py, cached) made afresh each run,
`bench_recover_<N>`, with the index Django creates on `chat_chatmessage.appointment_id` (the demo schema has
none). Into it goes one patient-like record with about `--dependents` rows that refer to it (a user, their patient
profile, appointments and messages, a group membership: the demo's own patients hold over a million rows each at
1 GB, past the plan's limit); then the clinic is backed up (native, and `pg_dump -Fc` for scale). After the backup
the patient is deleted as Django's cascade deletes it, and a few thousand other rows change (appointments
updated, messages added and deleted), so the diff has something to find. Each round then runs, sides alternated,
each the whole command in a fresh process (bench/probe.py): the diff, a native restore of the backup into a copy
of the demo clinics, the recovery of the patient followed by its undo, and `pg_restore -j 2` of the dump. Writes
its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from pathlib import Path

from psycopg import sql

from app.engine.connection import ConnectionTarget
from app.engine.server.demo import APP_ROLE, create_demo_database, django_password_hash
from bench import dataset, tools
from bench.dataset import say
from bench.harness import REPO, drop_leftovers
from bench.probe import SideFailed, measure_into, run_measured
from bench.profiling import find_py_spy
from bench.report import Report, Verdict, write
from bench.stats import MB, Series

KEY = "recover"
TENANT = "bienestar"
EMAIL = "bench.recover@test.com"
RSS_LIMIT = 150 * MB
RECOVER_TARGET = 0.5  # "seconds, not a restore's time": at most half the restore's median (our reading)
# Rows changed after the backup besides the deleted patient, so the diff has something to find.
UPDATED_APPOINTMENTS, ADDED_MESSAGES, DELETED_MESSAGES = 2000, 1000, 1000


def _live_database(admin: ConnectionTarget, source: ConnectionTarget) -> ConnectionTarget:
    """A file copy of the cached clinic (its data already frozen), with Django's index on the messages'
    appointment key: without it every deleted appointment's foreign-key check scans all the messages."""
    name = source.dbname.replace("bench_scale_", "bench_recover_")
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(source.dbname), sql.Identifier(APP_ROLE)
            )
        )
    live = admin.with_dbname(name)
    with live.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))
        conn.execute(
            sql.SQL("CREATE INDEX chat_chatmessage_appointment_id_idx ON {} (appointment_id)").format(
                sql.Identifier(TENANT, "chat_chatmessage")
            )
        )
    return live


def _plant(live: ConnectionTarget, dependents: int) -> tuple[int, int]:
    """One patient with a profile, a group membership, `dependents` // 5 appointments and 4 messages each (half
    sent, half received); (the user's id, its row count)."""
    appointments = max(1, dependents // 5)
    with live.connect() as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))
        conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(TENANT)))
        row = conn.execute(
            "INSERT INTO users_customuser (password, is_superuser, first_name, last_name, is_staff, is_active,"
            " date_joined, email, role) VALUES (%s, false, 'Paciente', 'Bench', false, true,"
            " '2026-01-05 09:00+00', %s, 'patient') RETURNING id",
            [django_password_hash("bench-recover", "benchrecoversalt"), EMAIL],
        ).fetchone()
        assert row is not None
        user = int(row[0])
        conn.execute(
            "INSERT INTO users_customuser_groups (customuser_id, group_id) SELECT %s, min(id) FROM auth_group"
            " HAVING min(id) IS NOT NULL",
            [user],
        )
        row = conn.execute(
            "INSERT INTO patients_patientprofile (user_id, birth_date, emergency_contact, notes)"
            " VALUES (%s, '1980-02-03', '+34 600 000 000', 'Planted by bench.recover') RETURNING id",
            [user],
        ).fetchone()
        assert row is not None
        profile = int(row[0])
        row = conn.execute(
            "SELECT p.id, p.user_id FROM psychologists_psychologistprofile p ORDER BY p.id LIMIT 1"
        ).fetchone()
        assert row is not None, "the demo clinic has a psychologist"
        psychologist, psychologist_user = int(row[0]), int(row[1])
        conn.execute(
            "INSERT INTO appointments_appointment (patient_id, psychologist_id, scheduled_at, duration_minutes,"
            " status, notes, created_at, updated_at)"
            " SELECT %s, %s, timestamptz '2026-01-10 09:00+00' + g * interval '1 day', 50, 'completed',"
            " 'Session ' || g, timestamptz '2026-01-05 09:00+00', timestamptz '2026-01-05 09:00+00'"
            " FROM generate_series(1, %s) g",
            [profile, psychologist, appointments],
        )
        conn.execute(
            "INSERT INTO chat_chatmessage (sender_id, recipient_id, appointment_id, content, sent_at, is_read)"
            " SELECT CASE WHEN m %% 2 = 0 THEN %(u)s ELSE %(p)s END, CASE WHEN m %% 2 = 0 THEN %(p)s ELSE %(u)s END,"
            " a.id, 'Message ' || m || ' about session ' || a.id, a.scheduled_at - m * interval '1 hour', true"
            " FROM appointments_appointment a CROSS JOIN generate_series(1, 4) m WHERE a.patient_id = %(profile)s",
            {"u": user, "p": psychologist_user, "profile": profile},
        )
        conn.commit()
    return user, _count(live, user)


def _count(live: ConnectionTarget, user: int) -> int:
    """The patient's rows in the live clinic: the user and every row that refers to it, directly or not."""
    with live.connect() as conn:
        conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(TENANT)))
        row = conn.execute(
            "SELECT (SELECT count(*) FROM users_customuser WHERE id = %(u)s)"
            " + (SELECT count(*) FROM users_customuser_groups WHERE customuser_id = %(u)s)"
            " + (SELECT count(*) FROM patients_patientprofile WHERE user_id = %(u)s)"
            " + (SELECT count(*) FROM appointments_appointment a JOIN patients_patientprofile p"
            "    ON p.id = a.patient_id WHERE p.user_id = %(u)s)"
            " + (SELECT count(*) FROM chat_chatmessage WHERE sender_id = %(u)s OR recipient_id = %(u)s)",
            {"u": user},
        ).fetchone()
    assert row is not None
    return int(row[0])


def _after_backup(live: ConnectionTarget, user: int) -> dict[str, int]:
    """The patient deleted as Django's collector does (messages, appointments, profile, memberships, the user), and
    other rows changed since the backup; how many of each."""
    with live.connect() as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(APP_ROLE)))
        conn.execute(sql.SQL("SET search_path = {}, public").format(sql.Identifier(TENANT)))
        deleted = _count(live, user)
        conn.execute(
            "DELETE FROM chat_chatmessage WHERE sender_id = %(u)s OR recipient_id = %(u)s OR appointment_id IN"
            " (SELECT a.id FROM appointments_appointment a JOIN patients_patientprofile p ON p.id = a.patient_id"
            " WHERE p.user_id = %(u)s)",
            {"u": user},
        )
        conn.execute(
            "DELETE FROM appointments_appointment WHERE patient_id IN"
            " (SELECT id FROM patients_patientprofile WHERE user_id = %s)",
            [user],
        )
        conn.execute("DELETE FROM patients_patientprofile WHERE user_id = %s", [user])
        conn.execute("DELETE FROM users_customuser_groups WHERE customuser_id = %s", [user])
        conn.execute("DELETE FROM users_customuser WHERE id = %s", [user])
        updated = conn.execute(
            "UPDATE appointments_appointment SET status = 'cancelled', updated_at = '2026-12-07 08:00+00'"
            " WHERE id IN (SELECT id FROM appointments_appointment ORDER BY id LIMIT %s)",
            [UPDATED_APPOINTMENTS],
        ).rowcount
        added = conn.execute(
            "INSERT INTO chat_chatmessage (sender_id, recipient_id, appointment_id, content, sent_at, is_read)"
            " SELECT sender_id, recipient_id, appointment_id, 'Written since the backup: ' || content,"
            " '2026-12-07 08:00+00', false FROM chat_chatmessage ORDER BY id LIMIT %s RETURNING id",
            [ADDED_MESSAGES],
        ).rowcount
        removed = conn.execute(
            "DELETE FROM chat_chatmessage WHERE id IN (SELECT id FROM chat_chatmessage"
            " WHERE content NOT LIKE 'Written since the backup: %%' ORDER BY id DESC LIMIT %s)",
            [DELETED_MESSAGES],
        ).rowcount
        conn.commit()
    with live.connect(autocommit=True) as conn:
        conn.execute("ANALYZE")
    return {"patient": deleted, "updated": updated, "removed": removed, "added": added}


def _drop_copies(admin: ConnectionTarget) -> None:
    """The run's two databases go at the end: the copy is a gigabyte, and made afresh each run."""
    with admin.connect(autocommit=True) as conn:
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE datname ~ '^bench_recover_(into|[0-9]+)$'"
        ).fetchall()
        for (name,) in names:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _once(argv: list[str], env: dict[str, str], what: str) -> float:
    say(f"{what} ...")
    run = run_measured(argv, env=env, cwd=REPO)
    say(f"{what}: {run.seconds:.2f} s")
    return run.seconds


def _diff_totals(stdout: str) -> str:
    """What the diff found, from its JSON (for the notes: proof it compared what changed)."""
    try:
        found = json.loads(stdout)
        return (
            f"{found['only_in_backup']:,} rows only in the backup, {found['only_now']:,} only live, "
            f"{found['changed']:,} changed, over {len(found['tables'])} tables"
        )
    except (ValueError, KeyError, TypeError) as exc:
        return f"its output could not be read ({exc})"


def _profile(argv: list[str], env: dict[str, str], out: Path) -> str:
    """One more run of `argv`, untimed, under py-spy (folded stacks, subprocesses too); the frames that hold the
    most samples, for the notes."""
    py_spy = find_py_spy()
    if py_spy is None:
        return f"{out.name}: py-spy is not installed"
    out.parent.mkdir(parents=True, exist_ok=True)
    run_measured(
        [py_spy, "record", "--format", "raw", "--rate", "50", "--idle", "--subprocesses", "-o", str(out), "--", *argv],
        env=env,
        cwd=REPO,
    )
    total, own = (
        0,
        dict[str, int](),
    )  # samples in all; samples per innermost frame (function and file, without the line)
    for line in out.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        frame = stack.rsplit(";", 1)[-1]
        name = frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1].rstrip(")") + ")"
        own[name] = own.get(name, 0) + int(count)
    top = sorted(own.items(), key=lambda item: -item[1])[:8]
    return f"`{out.name}`: " + ", ".join(f"{name} {100 * n / max(1, total):.0f} %" for name, n in top)


def _ratio(figure: str, ours: Series, ref: Series, limit: float | None) -> Verdict:
    target = "—" if limit is None else f"≤ {limit:.2f}×"
    if not (ours.measured and ref.measured):
        return Verdict(figure, ours.error or "—", ref.error or "—", "—", target, ours.error or ref.error or "no run")
    ratio = ours.median_seconds / ref.median_seconds
    result = (
        "info (no target)"
        if limit is None
        else ("met" if ratio <= limit else f"missed by {(ratio / limit - 1) * 100:.0f}%")
    )
    return Verdict(figure, ours.time_text(), ref.time_text(), f"{ratio:.2f}×", target, result)


def _rss(figure: str, ours: Series) -> Verdict:
    if not ours.measured:
        return Verdict(figure, ours.error or "—", "—", "—", "< 150 MB", ours.error or "no run")
    ok = ours.max_rss < RSS_LIMIT
    return Verdict(figure, f"{ours.max_rss / MB:.0f} MB", "—", "—", "< 150 MB", "met" if ok else "missed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.recover", description=__doc__)
    parser.add_argument("--size", default="1GB", help="the clinic's size (default 1GB, the rows case's)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="rounds, each starting with the other side (0 with --profile: the profiles alone)",
    )
    parser.add_argument("--dependents", type=int, default=1000, help="rows that refer to the planted patient")
    parser.add_argument("--profile", action="store_true", help="then each Resguardo side once more under py-spy")
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / ".data")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args(argv)
    server = dataset.start_server(args.data_dir)
    work = args.data_dir / "work-recover"
    try:
        admin = server.target()
        pg = tools.find_tools(tools.server_major(admin))
        source = dataset.tenant_database(admin, dataset.scale_for(dataset.parse_size(args.size)))
        shutil.rmtree(work, ignore_errors=True)
        (work / "home").mkdir(parents=True)
        say("copying the clinic, planting the patient")
        live = _live_database(admin, source)
        user, planted = _plant(live, args.dependents)
        into = create_demo_database(admin, "bench_recover_into", scale=1, reset=True)
        # The bench's own state folder: the undo records stay out of the user's.
        env = {**admin.child_env(), "PYTHONPATH": str(REPO), "RESGUARDO_HOME": str(work / "home")}
        cli = [sys.executable, "-m", "app"]
        archive, dump = work / "clinic.resguardo", work / "clinic.dump"
        backup_s = _once(
            [*cli, "backup", "--tenant", TENANT, "--out", str(archive), "--dsn", live.conninfo], env, "backup"
        )
        dump_s = _once(tools.pg_dump(pg, live, TENANT, dump), env, "pg_dump -Fc")
        changes = _after_backup(live, user)
        # The restores' target holds the whole clinic from the start, as after any round (untimed).
        drop_leftovers(into, also=TENANT)
        _once(tools.pg_restore(pg, into, dump, 2), env, "pg_restore -j 2 (untimed, first load)")
        series = {
            "diff": Series("resguardo diff --json (backup ÷ live clinic)"),
            "restore": Series("resguardo restore --yes (native, over a live copy of the clinic)"),
            "recover": Series(f"resguardo recover --yes: the patient, {planted:,} rows"),
            "undo": Series("resguardo undo-recover --yes"),
            "pg_restore": Series("pg_restore -j 2 of pg_dump -Fc (into a dropped schema)"),
        }
        argvs = {
            "diff": [*cli, "diff", "--tenant", TENANT, "--file", str(archive), "--json", "--dsn", live.conninfo],
            "restore": [*cli, "restore", "--tenant", TENANT, "--file", str(archive), "--yes", "--dsn", into.conninfo],
            "recover": [
                *cli,
                "recover",
                "--tenant",
                TENANT,
                "--file",
                str(archive),
                "--table",
                "users_customuser",
                "--match",
                f"id={user}",
                "--yes",
                "--dsn",
                live.conninfo,
            ],
            "undo": [*cli, "undo-recover", "--tenant", TENANT, "--yes", "--dsn", live.conninfo],
            "pg_restore": tools.pg_restore(pg, into, dump, 2),
        }
        series["restore"].setup = "earlier restores' safety copies dropped first, untimed"
        series["pg_restore"].setup = "`DROP SCHEMA bienestar CASCADE` first, untimed"
        found, wrong = "", []
        for round_number in range(args.repeat if args.profile else max(1, args.repeat)):
            order = ["diff", "restore", "recover", "pg_restore"]
            for side in order if round_number % 2 == 0 else reversed(order):
                if side == "restore":
                    drop_leftovers(into)
                elif side == "pg_restore":
                    drop_leftovers(into, also=TENANT)
                if side != "diff":
                    measure_into(series[side], argvs[side], env, REPO)
                    if side == "recover":
                        if (back := _count(live, user)) != planted:
                            wrong.append(f"round {round_number + 1}: {back} of {planted} rows back after recover")
                        measure_into(series["undo"], argvs["undo"], env, REPO)
                        if (left := _count(live, user)) != 0:
                            wrong.append(f"round {round_number + 1}: {left} rows left after undo")
                    continue
                # The diff's output is its answer: kept to show what it found.
                series["diff"].argv = argvs["diff"]
                try:
                    run = run_measured(argvs["diff"], env=env, cwd=REPO)
                except SideFailed as exc:
                    series["diff"].error = f"failed: {exc}"
                    continue
                series["diff"].seconds.append(run.seconds)
                series["diff"].peak_rss.append(run.peak_rss_bytes)
                found = _diff_totals(run.stdout)
                say(f"diff: {run.seconds:.2f} s, {run.peak_rss_bytes / MB:.0f} MB ({found})")
        drop_leftovers(into)
        profiles = []
        if args.profile:  # untimed, after the rounds; folded stacks next to --output
            folder = args.output.parent / "profiles" / KEY
            for side in ("diff", "recover", "undo"):
                profiles.append(_profile(argvs[side], env, folder / f"{side}.folded.txt"))
        verdicts = [
            _ratio("Diff wall time: diff ÷ native restore", series["diff"], series["restore"], 1.0),
            _ratio("Diff wall time: diff ÷ pg_restore -j 2", series["diff"], series["pg_restore"], None),
            _rss("Diff peak RSS", series["diff"]),
            _ratio("Recover one patient ÷ native restore", series["recover"], series["restore"], RECOVER_TARGET),
            _ratio("Undo the recovery ÷ native restore", series["undo"], series["restore"], RECOVER_TARGET),
            _rss("Recover peak RSS", series["recover"]),
            _rss("Undo peak RSS", series["undo"]),
            _ratio("Native restore ÷ pg_restore -j 2", series["restore"], series["pg_restore"], None),
        ]
        names = {
            live.conninfo: "$LIVE_DB",
            into.conninfo: "$RESTORE_DB",
            str(pg.bin_dir) + "/": "$BIN/",
            str(work) + "/": "$WORK/",
            sys.executable: "python",
        }
        changed = (
            f"after the backup: the patient's {changes['patient']:,} rows deleted (Django's cascade order), "
            f"{changes['updated']:,} appointments updated, {changes['added']:,} messages added and "
            f"{changes['removed']:,} deleted"
        )
        notes = [
            f"Live clinic `{live.dbname}`: a file copy of `{source.dbname}` made at the start of the run, plus "
            "`chat_chatmessage_appointment_id_idx` (Django creates an index for every foreign key; the demo schema "
            f"has none on that one). Planted before the backup: one patient (`{EMAIL}`, user id {user}) with "
            f"{planted:,} rows in all (user, group membership, patient profile, appointments, 4 messages each); "
            f"{changed}.",
            f"What the diff found (its JSON, last run): {found or 'nothing read'}.",
            f"The backup (`resguardo backup`, untimed setup) took {backup_s:.1f} s and `pg_dump -Fc` {dump_s:.1f} s "
            f"({archive.stat().st_size / MB:.1f} MB and {dump.stat().st_size / MB:.1f} MB).",
            "Every side is the whole command in a fresh process, Python's start-up included; the restores land in "
            "`bench_recover_into` (the demo clinics), whose `bienestar` holds the whole clinic before round 1. Each "
            "recovery is followed by its undo; the patient's rows are counted after each: "
            + ("; ".join(wrong) if wrong else f"{planted:,} back after every recover, none after every undo."),
            f"The recovery's target (≤ {RECOVER_TARGET:.2f}× the restore) is this bench's reading of issue 23's "
            '"seconds, not a restore\'s time".',
            f"{max(1, args.repeat)} round(s); in each the sides run diff, restore, recover + undo, pg_restore, and the "
            "next round in reverse order. Medians (min–max).",
            *(
                [
                    "Profiles (`--profile`: one more run of each side under `py-spy record --format raw`, untimed; "
                    "its wall time by innermost frame, waits included): " + "; ".join(profiles)
                ]
                if profiles
                else []
            ),
            f"Load average when written: {' / '.join(f'{v:.1f}' for v in os.getloadavg())} (1 / 5 / 15 min) on "
            f"{os.cpu_count()} cores: a shared machine, other engineers' tests were running.",
        ]
        report = Report(
            key=KEY,
            title=f"Issue 23: diff and recovery of one patient on the {args.size} clinic, against a whole restore",
            command=shlex.join(["python", "-m", "bench.recover", *(argv if argv is not None else sys.argv[1:])]),
            server=f"{tools.server_version(admin)}, embedded, default configuration, fsync on",
            tools=pg.version,
            dataset=f"`{TENANT}` in `{live.dbname}` (the rows case's `{source.dbname}`, {args.size}), changed as below",
            notes=notes,
            verdicts=verdicts,
            series=list(series.values()),
            names=names,
            legend=[
                f"`$LIVE_DB`: `{live.conninfo}`; `$RESTORE_DB`: `{into.conninfo}` (the port: line 4 of "
                "`pg18/postmaster.pid` in `--data-dir`); `$BIN`: the embedded client tools; `$WORK`: the scratch "
                "folder; `python -m app` is `resguardo`. The sides run with `RESGUARDO_HOME=$WORK/home`."
            ],
        )
        write(report, args.output, ["encryption", KEY])
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _drop_copies(server.target())
        if server.started_here:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
