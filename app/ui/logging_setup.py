"""The rotating log file in the user log dir, with passwords scrubbed from every line."""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
import threading
from pathlib import Path

from app import paths

LOG_NAME = "resguardo.log"
_PATTERNS = (
    re.compile(r"(password\s*=\s*)('[^']*'|\S+)", re.IGNORECASE),
    re.compile(r"(PGPASSWORD\s*[=:]\s*)('[^']*'|\S+)"),
    re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)([^@\s]+)(@)"),
)


class SecretRedactor(logging.Filter):
    """Removes known passwords and `password=...` fragments from records before any handler sees them."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secret: str | None) -> None:
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def scrub(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, "********")
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + "********" + (m.group(3) if m.lastindex == 3 else ""), text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.scrub(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


REDACTOR = SecretRedactor()


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files are the owner's only (0600): they name clinics, tenants and servers."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # also a log written by an older version
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def log_file() -> Path:
    return paths.log_dir() / LOG_NAME


def setup_logging(debug: bool = False) -> Path:
    """Send the program's log to a rotating file (1 MB x 5); return its path."""
    root = logging.getLogger()
    path = log_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not any(
        isinstance(h, logging.handlers.RotatingFileHandler) and Path(h.baseFilename) == path for h in root.handlers
    ):
        rotating = _PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        rotating.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        rotating.addFilter(REDACTOR)
        root.addHandler(rotating)
    for handler in root.handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
        if type(handler) is logging.StreamHandler and not debug:
            handler.setLevel(logging.WARNING)  # the console stays quiet; the file has the story
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    return path
