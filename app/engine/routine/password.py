"""Where an unattended run's password comes from, said plainly; never a prompt, never a file of ours.

In order: the system keyring (asked with a time bound: a locked keyring's unlock prompt must not hold a
run forever), then libpq's own places, which Resguardo reads only to say which one applies: the
PGPASSWORD variable and the password file (~/.pgpass, PGPASSFILE, %APPDATA%\\postgresql\\pgpass.conf),
whose line for this server libpq uses by itself. When none holds a password and the server asks for one,
the run fails with a sentence saying what the keyring said and what to do.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from app.engine.connection import ConnectionTarget
from app.engine.errors import ConnectionFailed
from app.engine.stores.profiles import Profile
from app.engine.stores.secrets import KEYRING_TIMEOUT, KeyringState, Lookup, SecretStore


@dataclass(frozen=True)
class Password:
    target: ConnectionTarget
    said: str  # where the password comes from, or that there is none
    lookup: Lookup


def pgpass_path() -> Path:
    given = os.environ.get("PGPASSFILE")
    if given:
        return Path(given)
    if os.name == "nt":
        return Path(os.environ.get("APPDATA", "")) / "postgresql" / "pgpass.conf"
    return Path.home() / ".pgpass"


def libpq_source(profile: Profile) -> str | None:
    """A sentence naming the place libpq will take this profile's password from, or None."""
    if os.environ.get("PGPASSWORD"):
        return "The password comes from the PGPASSWORD variable."
    path = pgpass_path()
    if not _has_line(path, profile):
        return None
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None  # libpq ignores a password file others can read
    return f"The password comes from {path}."


def unattended_password(profile: Profile, secrets: SecretStore, timeout: float = KEYRING_TIMEOUT) -> Password:
    """The profile's target with its password, and where it came from; never prompts."""
    lookup = secrets.lookup(profile.name, timeout)
    if lookup.state is KeyringState.FOUND:
        return Password(profile.target(lookup.password), lookup.sentence(), lookup)
    libpq = libpq_source(profile)
    if libpq is not None:
        return Password(profile.target(None), f"{lookup.sentence()} {libpq}", lookup)
    return Password(profile.target(None), f"{lookup.sentence()} No password file or PGPASSWORD either.", lookup)


def what_to_do(profile: Profile) -> str:
    path = pgpass_path()
    line = f"{profile.host}:{profile.port}:{profile.dbname}:{_escaped(profile.user)}:PASSWORD"
    told = f"Put the password in {path}, one line `{line}`, the file readable by you alone (chmod 600)"
    if path.exists() and os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        told = f"{path} can be read by others, so libpq ignores it: run `chmod 600 {path}`"
    return (
        f"{told}; or unlock the system keyring (a scheduled run needs it unlocked at its times). See docs/routine.md."
    )


def connect_failure(exc: ConnectionFailed, password: Password, profile: Profile) -> ConnectionFailed:
    """The connection's failure, with where the password was looked for when the server asked for one."""
    if "no password supplied" not in exc.details.lower():
        return exc
    return ConnectionFailed(
        f"The server at {password.target.describe()} asks for a password, and none is reachable without a "
        f"person: {password.said} {what_to_do(profile)}",
        exc.details,
    )


def _escaped(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def _fields(line: str) -> list[str]:
    """A password file line's fields: `:` separates, `\\` escapes the next character (libpq's rules)."""
    out: list[str] = []
    current, escaped = "", False
    for ch in line:
        if escaped:
            current, escaped = current + ch, False
        elif ch == "\\":
            escaped = True
        elif ch == ":" and len(out) < 4:
            out.append(current)
            current = ""
        else:
            current += ch
    return [*out, current]


def _has_line(path: Path, profile: Profile) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    wanted = (profile.host, str(profile.port), profile.dbname, profile.user)
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _fields(line)
        if len(fields) == 5 and all(f in ("*", w) for f, w in zip(fields[:4], wanted, strict=True)) and fields[4]:
            return True
    return False
