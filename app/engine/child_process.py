"""The flag every program the engine starts is started with (pg_dump, pg_restore, psql, their version checks, the
OS's scheduler commands, the demo's server): on Windows, no console window of its own. The window's executable
(`resguardo-gui`) has no console, and Windows gives each console program it starts a new one, which would flash
on the desktop for every version check and stay open through a backup. Their output is read through pipes."""

from __future__ import annotations

import subprocess
import sys

if sys.platform == "win32":
    NO_CONSOLE_WINDOW = subprocess.CREATE_NO_WINDOW
else:
    NO_CONSOLE_WINDOW = 0
