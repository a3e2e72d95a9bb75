"""What pg_dump's own comments tell about a SQL dump: whether it is one and whole, which versions made it.

Comments carry no statement, so they are read only to judge the file (its header and closing line, its
table-of-contents entries as progress through a custom file's script).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADER_LINE = "-- PostgreSQL database dump"
TRAILER_LINE = "-- PostgreSQL database dump complete"
_TOC_ENTRY = re.compile(rb"^-- (?:Data for )?Name: .*; Type: .*; Schema: ")
_DUMPED_FROM = re.compile(rb"^-- Dumped from database version (\S+)")
_DUMPED_BY = re.compile(rb"^-- Dumped by pg_dump version (\S+)")


@dataclass
class DumpComments:
    header_seen: bool = False
    trailer_seen: bool = False
    dumped_from: str = ""
    dumped_by: str = ""
    toc_entries: int = 0

    def note(self, text: bytes) -> None:
        """Take in one comment between statements (its first 200 bytes)."""
        if text.startswith(TRAILER_LINE.encode()):
            self.trailer_seen = True
        elif text.startswith(HEADER_LINE.encode()):
            self.header_seen = True
        elif _TOC_ENTRY.match(text):
            self.toc_entries += 1
        elif not self.dumped_from and (m := _DUMPED_FROM.match(text)):
            self.dumped_from = m.group(1).decode("ascii", "replace")
        elif not self.dumped_by and (m := _DUMPED_BY.match(text)):
            self.dumped_by = m.group(1).decode("ascii", "replace")
