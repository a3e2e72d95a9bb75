"""Reading pg_dump's plain SQL as a stream of statements, and rewriting it into a staging schema.

pg_dump (and `pg_restore -f -`) write SQL whose every name is qualified with
the dumped schema. To load such a file into a staging schema we tokenise it the
way psql does (strings, dollar quotes, quoted identifiers, comments, BEGIN
ATOMIC bodies, COPY ... FROM stdin data up to `\\.`), replace the schema where
it qualifies a name, and decide for each statement: run it, skip it (schema
creation, ownership, grants, session settings: the restore applies those from
the live tenant), or refuse the whole file because it reaches outside the
tenant (another schema, public, roles, extensions...).

The file is read as bytes and lexed as Latin-1, which maps every byte to one
character: the lexer only looks at ASCII, multibyte text passes through
untouched, and each statement is decoded with the file's own client_encoding
just before it runs. COPY data never goes through Python strings when the
encodings match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from psycopg import sql

from app.engine.errors import ArchiveError

HEADER_LINE = "-- PostgreSQL database dump"
TRAILER_LINE = "-- PostgreSQL database dump complete"
_TOC_ENTRY = re.compile(r"^-- (?:Data for )?Name: .*; Type: .*; Schema: ")
_DUMPED_FROM = re.compile(r"^-- Dumped from database version (\S+)")
_DUMPED_BY = re.compile(r"^-- Dumped by pg_dump version (\S+)")

# ---------------------------------------------------------------- lexer

_WS = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z_\x80-\xff][\w$\x80-\xff]*")
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\xff][\w\x80-\xff]*)?\$")
_STD_STRING = re.compile(r"'(?:[^']|'')*'")
_ESC_STRING = re.compile(r"'(?:[^'\\]|\\.|'')*'", re.S)
_QIDENT = re.compile(r'"(?:[^"]|"")*"')
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass
class Token:
    kind: str  # ws comment word qident string dollar number punct
    text: str

    @property
    def significant(self) -> bool:
        return self.kind not in ("ws", "comment")


class _Incomplete(Exception):
    """The token at the end of the buffer continues on the next line."""


def _lex_one(buf: str, pos: int, std_strings: bool) -> Token:
    ch = buf[pos]
    if ch.isspace():
        m = _WS.match(buf, pos)
        assert m
        return Token("ws", m.group())
    if buf.startswith("--", pos):
        end = buf.find("\n", pos)
        if end < 0:
            raise _Incomplete
        return Token("comment", buf[pos:end])
    if buf.startswith("/*", pos):
        depth, scan = 0, pos
        while True:
            m = _COMMENT_EDGE.search(buf, scan)
            if m is None:
                raise _Incomplete
            depth += 1 if m.group() == "/*" else -1
            scan = m.end()
            if depth == 0:
                return Token("comment", buf[pos:scan])
    if ch in "eEbBxXnNuU":
        prefix = 2 if buf.startswith(("U&", "u&"), pos) else 1
        nxt = buf[pos + prefix] if pos + prefix < len(buf) else ""
        if nxt == "'" and (prefix == 1 or ch in "uU"):
            escaped = ch in "eE" or not std_strings
            m = (_ESC_STRING if escaped else _STD_STRING).match(buf, pos + prefix)
            if m is None:
                raise _Incomplete
            return Token("string", buf[pos:m.end()])
        if nxt == '"' and prefix == 2:
            m = _QIDENT.match(buf, pos + 2)
            if m is None:
                raise _Incomplete
            return Token("qident", buf[pos:m.end()])
    if ch == "'":
        m = (_STD_STRING if std_strings else _ESC_STRING).match(buf, pos)
        if m is None:
            raise _Incomplete
        return Token("string", m.group())
    if ch == '"':
        m = _QIDENT.match(buf, pos)
        if m is None:
            raise _Incomplete
        return Token("qident", m.group())
    if ch == "$":
        m = _DOLLAR_TAG.match(buf, pos)
        if m is not None:
            end = buf.find(m.group(), m.end())
            if end < 0:
                raise _Incomplete
            return Token("dollar", buf[pos:end + len(m.group())])
    m = _WORD.match(buf, pos)
    if m is not None:
        return Token("word", m.group())
    m = _NUMBER.match(buf, pos)
    if m is not None:
        return Token("number", m.group())
    if buf.startswith("::", pos):
        return Token("punct", "::")
    return Token("punct", ch)


def name_value(token: Token) -> str:
    """The identifier a word or quoted-identifier token stands for (unquoted words fold to lower case)."""
    if token.kind == "qident":
        text = token.text[2:] if token.text[:2] in ("U&", "u&") else token.text
        return text[1:-1].replace('""', '"')
    return token.text.translate(_ASCII_LOWER)


# ---------------------------------------------------------------- statements


@dataclass
class Statement:
    """One SQL statement as written in the file (terminating semicolon included)."""

    tokens: list[Token]
    line: int

    @property
    def sig(self) -> list[Token]:
        return [t for t in self.tokens if t.significant]

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)

    def words(self, count: int) -> list[str]:
        """The first `count` significant tokens, upper-cased, for recognising the statement."""
        return [t.text.upper() for t in self.sig[:count]]

    def label(self) -> str:
        """The statement on one short line, for messages."""
        flat = " ".join("".join(t.text if t.significant else " " for t in self.tokens).split())
        return flat if len(flat) <= 90 else flat[:87] + "..."

    @property
    def is_copy_from_stdin(self) -> bool:
        words = [t.text.upper() for t in self.sig if t.kind == "word"]
        return bool(words) and words[0] == "COPY" and "FROM" in words and words[-1] == "STDIN"


@dataclass
class MetaCommand:
    """A psql backslash command line, such as `\\restrict KEY`."""

    text: str
    line: int

    @property
    def command(self) -> str:
        return self.text.split(None, 1)[0] if self.text.strip() else "\\"


class ScriptReader:
    """Splits a stream of byte lines into statements and meta-commands, streaming COPY data.

    After a COPY ... FROM stdin statement is yielded, `copy_rows()` gives its
    data lines (bytes, with their newlines); if the consumer does not read
    them, they are skipped. Counters tell the caller how far the stream got.
    """

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self.bytes_read = 0
        self.line_no = 0
        self.toc_entries = 0
        self.header_seen = False
        self.trailer_seen = False
        self.dumped_from = ""
        self.dumped_by = ""
        self.std_strings = True
        self._pending_copy: Iterator[bytes] | None = None

    def _next_line(self) -> bytes | None:
        raw = next(self._lines, None)
        if raw is not None:
            self.bytes_read += len(raw)
            self.line_no += 1
        return raw

    def _note_comment(self, text: str) -> None:
        if text.startswith(TRAILER_LINE):
            self.trailer_seen = True
        elif text.startswith(HEADER_LINE):
            self.header_seen = True
        elif _TOC_ENTRY.match(text):
            self.toc_entries += 1
        elif not self.dumped_from and (m := _DUMPED_FROM.match(text)):
            self.dumped_from = m.group(1)
        elif not self.dumped_by and (m := _DUMPED_BY.match(text)):
            self.dumped_by = m.group(1)

    def copy_rows(self) -> Iterator[bytes]:
        rows, self._pending_copy = self._pending_copy, None
        return rows if rows is not None else iter(())

    def _copy_data(self, line: int) -> Iterator[bytes]:
        while True:
            raw = self._next_line()
            if raw is None:
                raise ArchiveError(
                    f"The file ends inside the table data that starts at line {line} (it is truncated)."
                )
            if raw.rstrip(b"\r\n") == b"\\.":
                return
            yield raw

    def __iter__(self) -> Iterator[Statement | MetaCommand]:
        buf = ""
        pos = 0
        tokens: list[Token] = []
        start_line = 1
        paren = 0
        begin_depth = 0
        routine_words: list[str] = []
        eof = False
        while True:
            raw = self._next_line()
            if raw is None:
                eof = True
                if not buf.endswith("\n") and buf:
                    buf += "\n"  # a last line without newline
            else:
                text = raw.decode("latin-1")
                if not any(t.significant for t in tokens) and pos == len(buf) and text.lstrip().startswith("\\"):
                    for tok in tokens:
                        if tok.kind == "comment":
                            self._note_comment(tok.text)
                    buf, pos, tokens = "", 0, []
                    yield MetaCommand(text.strip(), self.line_no)
                    continue
                if not tokens and pos == len(buf):
                    buf, pos = "", 0
                    start_line = self.line_no
                buf += text
            while pos < len(buf):
                try:
                    tok = _lex_one(buf, pos, self.std_strings)
                except _Incomplete:
                    break
                pos += len(tok.text)
                if tok.kind == "comment" and not any(t.significant for t in tokens):
                    self._note_comment(tok.text)
                    continue  # comments between statements are not part of them
                if tok.kind == "ws" and not tokens:
                    continue
                if not tokens:
                    start_line = self.line_no + 1 - tok.text.count("\n") - buf.count("\n", pos)
                tokens.append(tok)
                if tok.kind == "punct":
                    paren += {"(": 1, ")": -1}.get(tok.text, 0)
                elif tok.kind == "word":
                    begin_depth = _track_begin(routine_words, tok.text, paren, begin_depth)
                if tok.kind == "punct" and tok.text == ";" and paren <= 0 and begin_depth == 0:
                    statement = Statement(tokens, max(start_line, 1))
                    tokens, paren, begin_depth, routine_words = [], 0, 0, []
                    self._watch_settings(statement)
                    if statement.is_copy_from_stdin:
                        self._pending_copy = self._copy_data(statement.line)
                    yield statement
                    if self._pending_copy is not None:
                        for _ in self._pending_copy:
                            pass
                        self._pending_copy = None
            if eof:
                if any(t.significant for t in tokens) or pos < len(buf.rstrip()):
                    raise ArchiveError(
                        f"The file ends in the middle of a statement that starts at line {start_line} "
                        "(it is truncated or not SQL)."
                    )
                return

    def _watch_settings(self, statement: Statement) -> None:
        """standard_conforming_strings changes how the rest of the file must be lexed."""
        words = [w for w in statement.words(6) if w not in ("SESSION", "LOCAL", "=", "TO", ";")]
        if words[:2] == ["SET", "STANDARD_CONFORMING_STRINGS"] and len(words) > 2:
            self.std_strings = words[2].strip("'") not in ("OFF", "FALSE", "0")


def _track_begin(words: list[str], word: str, paren: int, depth: int) -> int:
    """psql's rule: in CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN..END hides semicolons."""
    upper = word.upper()
    if len(words) < 4:
        words.append(upper)
    head = words[:4]
    in_routine = head[:1] == ["CREATE"] and (
        (len(head) > 1 and head[1] in ("FUNCTION", "PROCEDURE"))
        or (head[1:3] == ["OR", "REPLACE"] and len(head) > 3 and head[3] in ("FUNCTION", "PROCEDURE"))
    )
    if not in_routine or paren != 0:
        return depth
    if upper == "BEGIN":
        return depth + 1
    if upper == "CASE" and depth >= 1:
        return depth + 1
    if upper == "END" and depth > 0:
        return depth - 1
    return depth


# ---------------------------------------------------------------- analysis

_SKIP_WORDS = frozenset("""
CREATE ALTER DROP OR REPLACE TEMP TEMPORARY UNLOGGED UNIQUE MATERIALIZED RECURSIVE GLOBAL LOCAL
TRUSTED PROCEDURAL DEFAULT CONSTRAINT IF NOT EXISTS CONCURRENTLY ONLY TABLE VIEW SEQUENCE INDEX
FUNCTION PROCEDURE ROUTINE AGGREGATE TYPE DOMAIN TRIGGER POLICY RULE STATISTICS COLLATION CONVERSION
OPERATOR CLASS FAMILY TEXT SEARCH CONFIGURATION DICTIONARY PARSER TEMPLATE FOREIGN DATA WRAPPER
SERVER EXTENSION EVENT PUBLICATION SUBSCRIPTION ROLE USER GROUP DATABASE TABLESPACE LANGUAGE CAST
TRANSFORM ACCESS METHOD LARGE OBJECT COLUMN SCHEMA ON TO INTO FROM COMMENT GRANT REVOKE SECURITY
LABEL FOR INSERT UPDATE DELETE TRUNCATE SELECT COPY LOCK REFRESH ALL PRIVILEGES USAGE EXECUTE
REFERENCES CONNECT MAINTAIN OPTION WITH IN SHARE MODE EXCLUSIVE ROW TABLES SEQUENCES FUNCTIONS
PROCEDURES ROUTINES TYPES MAPPING SYSTEM
""".split())

# Words that, in a statement's leading keywords, name an object outside any schema.
_GLOBAL_KINDS = {
    "ROLE": "a role", "USER": "a role", "GROUP": "a role", "DATABASE": "the database",
    "TABLESPACE": "a tablespace", "EXTENSION": "an extension", "EVENT": "an event trigger",
    "PUBLICATION": "a publication", "SUBSCRIPTION": "a subscription", "SERVER": "a foreign server",
    "WRAPPER": "a foreign-data wrapper", "MAPPING": "a user mapping", "LANGUAGE": "a language",
    "CAST": "a cast", "TRANSFORM": "a transform", "METHOD": "an access method",
    "LARGE": "a large object (large objects live outside any schema)", "SYSTEM": "the server configuration",
}
_NAMING_HEADS = ("CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE", "SECURITY", "INSERT", "COPY",
                 "UPDATE", "DELETE", "TRUNCATE", "LOCK", "REFRESH", "ANALYZE")
# Heads whose target may follow a top-level ON (CREATE INDEX i ON s.t, COMMENT ON ..., GRANT ... ON ...).
_ON_HEADS = ("ALTER", "DROP", "COMMENT", "GRANT", "REVOKE", "SECURITY")
_ON_CREATES = frozenset({"INDEX", "TRIGGER", "POLICY", "RULE"})


@dataclass
class NameRef:
    schema: str | None
    name: str
    index: int  # position in Statement.sig of the first name token

    def shown(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema is not None else self.name


def _is_name(tok: Token | None) -> bool:
    return tok is not None and tok.kind in ("word", "qident")


def _name_at(sig: list[Token], k: int, parts: int = 2) -> NameRef | None:
    """The name at sig[k], schema-qualified when it has `parts` parts (3 after COLUMN: s.table.column)."""
    if k >= len(sig) or not _is_name(sig[k]):
        return None
    chain = [name_value(sig[k])]
    j = k + 1
    while j + 1 < len(sig) and sig[j].text == ".":
        nxt = sig[j + 1]
        chain.append(name_value(nxt) if _is_name(nxt) else nxt.text)  # operators: s.===
        j += 2
    if len(chain) >= parts:
        return NameRef(chain[0], ".".join(chain[1:]), k)
    return NameRef(None, ".".join(chain), k)


def _run_after(sig: list[Token], k: int) -> tuple[list[str], int]:
    """Keywords from sig[k] on, and the index of the first token that is not one."""
    run: list[str] = []
    while k < len(sig):
        tok = sig[k]
        followed_by_dot = k + 1 < len(sig) and sig[k + 1].text == "."
        if tok.kind != "word" or followed_by_dot or tok.text.upper() not in _SKIP_WORDS:
            break
        run.append(tok.text.upper())
        k += 1
    return run, k


@dataclass
class Analysis:
    """What a statement names: its kind, the objects it acts on, the schemas it names."""

    head: str
    run: list[str]
    targets: list[NameRef] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)  # SCHEMA <name>, IN SCHEMA <name>, SET SCHEMA <name>
    global_kind: str = ""
    has_on: bool = False


def analyse(statement: Statement) -> Analysis:
    sig = statement.sig
    head = sig[0].text.upper() if sig and sig[0].kind == "word" else ""
    run, k = _run_after(sig, 0)
    result = Analysis(head, run)
    if head not in _NAMING_HEADS:
        return result
    runs = [(run, k)]
    wants_on = head in _ON_HEADS or (head == "CREATE" and _ON_CREATES & set(run))
    depth = 0
    for i, tok in enumerate(sig):
        if tok.kind == "punct":
            depth += {"(": 1, ")": -1}.get(tok.text, 0)
        elif depth == 0 and tok.kind == "word" and tok.text.upper() == "ON":
            result.has_on = True
            if wants_on and i >= k:
                runs.append(_run_after(sig, i))
    for words, at in runs:
        for word in words:
            if word in _GLOBAL_KINDS and not result.global_kind:
                result.global_kind = word
        ref = _name_at(sig, at, 3 if words and words[-1] == "COLUMN" else 2)
        if ref is None:
            continue
        if "SCHEMA" in words and set(words[len(words) - words[::-1].index("SCHEMA"):]) <= {"IF", "NOT", "EXISTS"}:
            result.schemas.append(ref.shown())
        else:
            result.targets.append(ref)
    for i, tok in enumerate(sig[1:-1], start=1):
        if tok.kind == "word" and tok.text.upper() == "SCHEMA" and sig[i - 1].text.upper() in ("IN", "SET"):
            ref = _name_at(sig, i + 1)
            if ref is not None and ref.shown() not in result.schemas:
                result.schemas.append(ref.shown())
    return result


# ---------------------------------------------------------------- planning

_REFUSED_HEADS = {
    "DO": "runs an anonymous code block", "CALL": "calls a procedure",
    "ROLLBACK": "ends the transaction", "ABORT": "ends the transaction",
    "SAVEPOINT": "manages the transaction", "RELEASE": "manages the transaction",
    "PREPARE": "prepares a transaction or statement", "EXECUTE": "executes a prepared statement",
    "VACUUM": "runs VACUUM", "CLUSTER": "runs CLUSTER", "REINDEX": "runs REINDEX",
    "CHECKPOINT": "runs CHECKPOINT", "LOAD": "loads a server library", "IMPORT": "imports a foreign schema",
    "MERGE": "runs MERGE", "WITH": "runs a query", "VALUES": "runs a query", "TABLE": "runs a query",
}
_SKIPPED_HEADS = frozenset({"BEGIN", "START", "COMMIT", "END", "RESET", "DISCARD", "LISTEN", "UNLISTEN",
                            "NOTIFY", "DEALLOCATE"})
# Session settings a dump may carry that matter for how its statements are read; applied with SET LOCAL.
KEPT_SETTINGS = frozenset({
    "standard_conforming_strings", "check_function_bodies", "xmloption", "client_min_messages",
    "row_security", "default_table_access_method", "default_tablespace", "default_with_oids",
    "escape_string_warning", "datestyle", "intervalstyle", "bytea_output",
})
_SKIPPED_SETS = frozenset({"role", "authorization", "characteristics", "transaction", "constraints"})
_REG_TYPES = frozenset({"REGCLASS", "REGTYPE", "REGPROC", "REGPROCEDURE", "REGOPER", "REGOPERATOR",
                        "REGCONFIG", "REGDICTIONARY", "REGCOLLATION"})
_SEQ_FUNCTIONS = frozenset({"setval", "nextval", "currval"})
_HARMLESS_META = frozenset({"\\restrict", "\\unrestrict", "\\set", "\\unset", "\\echo", "\\qecho",
                            "\\warn", "\\pset", "\\timing", "\\if", "\\elif", "\\else", "\\endif"})


class RefusedStatement(ArchiveError):
    """The file does something outside the tenant's schema; nothing of it has run."""


@dataclass(frozen=True)
class Plan:
    """What to do with one statement: execute `sql`, run it as COPY, or skip it."""

    action: str  # "execute" | "copy" | "skip"
    sql: str = ""
    reason: str = ""


class Planner:
    """Decides, statement by statement, how a dump of schema `source` lands in schema `target`.

    With `target` None it only checks (the preview's pass over the file).
    """

    def __init__(self, source: str, target: str | None, encoding: str = "utf-8") -> None:
        self.source = source
        self.target = target
        self.encoding = encoding
        self._source_in_file = source.encode(encoding, errors="replace").decode("latin-1")
        self._target_sql = sql.Identifier(target).as_string() if target is not None else ""

    def text_of(self, latin: str) -> str:
        """File text (lexed as Latin-1) back to the characters it means."""
        return latin.encode("latin-1").decode(self.encoding, errors="replace")

    def _in_file(self, text: str) -> str:
        try:
            return text.encode(self.encoding).decode("latin-1")
        except UnicodeEncodeError:
            raise ArchiveError(
                f"The name {text!r} cannot be written in the file's encoding ({self.encoding})."
            ) from None

    def refusal(self, line: int, label: str, what: str) -> RefusedStatement:
        return RefusedStatement(
            f"The file {what} (line {line}: {self.text_of(label)}); a tenant file may hold only its "
            f"own schema ({self.source}). Nothing was changed."
        )

    def _refuse(self, statement: Statement, what: str) -> RefusedStatement:
        return self.refusal(statement.line, statement.label(), what)

    def check_meta(self, meta: MetaCommand) -> None:
        """psql commands are never run; the harmless ones are ignored, the others refuse the file."""
        if meta.command == "\\.":
            raise self.refusal(meta.line, meta.text, "has table data without a COPY statement")
        if meta.command not in _HARMLESS_META:
            what = "switches to another database" if meta.command in ("\\c", "\\connect") else \
                f"holds the psql command {meta.command}, which Resguardo does not run"
            raise self.refusal(meta.line, meta.text, what)

    def plan(self, statement: Statement) -> Plan:
        sig = statement.sig
        if not sig or (len(sig) == 1 and sig[0].text == ";"):
            return Plan("skip", reason="empty")
        a = analyse(statement)
        if a.head in _REFUSED_HEADS:
            raise self._refuse(statement, _REFUSED_HEADS[a.head])
        if a.head in _SKIPPED_HEADS:
            return Plan("skip", reason="transaction control or session command")
        if a.head == "SET":
            return self._plan_set(statement)
        if a.head == "SELECT":
            return self._plan_select(statement)
        if a.head not in _NAMING_HEADS:
            raise self._refuse(statement, f"holds a statement Resguardo does not run ({sig[0].text})")
        if a.head == "ALTER" and a.run[:3] == ["ALTER", "DEFAULT", "PRIVILEGES"]:
            self._check_schemas(statement, a)
            return Plan("skip", reason="privileges come from the live tenant")
        if a.head in ("GRANT", "REVOKE") and not a.has_on:
            raise self._refuse(statement, "changes role membership")
        if a.global_kind:
            raise self._refuse(statement, f"changes {_GLOBAL_KINDS[a.global_kind]}, outside any schema")
        self._check_schemas(statement, a)
        for ref in a.targets:
            if ref.schema is not None and ref.schema != self._source_in_file:
                raise self._refuse(statement, f"changes {self.text_of(ref.shown())}, outside the tenant")
        if a.schemas and not a.targets:
            # CREATE / ALTER ... OWNER / COMMENT ON / GRANT ON / DROP SCHEMA <source>: the restore owns the schema.
            if a.head == "ALTER" and not _is_owner_change(sig):
                raise self._refuse(statement, f"alters the schema {self.source}")
            return Plan("skip", reason="schema-level statement")
        if a.head in ("GRANT", "REVOKE"):
            return Plan("skip", reason="privileges come from the live tenant")
        if a.head == "ALTER" and _is_owner_change(sig):
            return Plan("skip", reason="owners come from the live tenant")
        if a.head == "DROP":
            return Plan("skip", reason="the staging schema starts empty")
        if a.head == "SECURITY":
            return Plan("skip", reason="security labels are not restored")
        if a.head == "COPY":
            if not statement.is_copy_from_stdin:
                raise self._refuse(statement, "reads or writes a server file or program (COPY)")
            return Plan("copy", self._rewrite(statement))
        return Plan("execute", self._rewrite(statement))

    def _check_schemas(self, statement: Statement, a: Analysis) -> None:
        for name in a.schemas:
            if name != self._source_in_file:
                raise self._refuse(statement, f"changes the schema {self.text_of(name)}")

    def _plan_set(self, statement: Statement) -> Plan:
        sig = statement.sig
        at = 2 if len(sig) > 2 and sig[1].text.upper() in ("LOCAL", "SESSION") else 1
        param = name_value(sig[at]) if len(sig) > at and _is_name(sig[at]) else ""
        if param in _SKIPPED_SETS:
            return Plan("skip", reason="roles and transaction modes belong to the restore")
        if param in ("search_path", "schema"):
            return Plan("execute", self._search_path_sql())
        if param not in KEPT_SETTINGS:
            return Plan("skip", reason=f"the setting {param or sig[at].text} is not needed")
        if self.target is None:
            return Plan("execute")
        start = statement.tokens.index(sig[at])
        body = "".join(t.text for t in statement.tokens[start:]).rstrip().rstrip(";")
        return Plan("execute", "SET LOCAL " + self.text_of(body))

    def _search_path_sql(self) -> str:
        """Whatever search_path the file sets, the staging schema is the one it gets (and pg_catalog)."""
        if self.target is None:
            return ""
        return ("SELECT pg_catalog.set_config('search_path', '"
                + self._target_sql.replace("'", "''") + ", pg_catalog', true)")

    def _plan_select(self, statement: Statement) -> Plan:
        sig = statement.sig
        ref = _name_at(sig, 1)
        if ref is not None and ref.schema in ("pg_catalog", None):
            after = ref.index + (3 if ref.schema else 1)
            arg = sig[after + 1] if after + 1 < len(sig) and sig[after].text == "(" else None
            if ref.name == "set_config" and arg is not None and arg.text.lower() == "'search_path'":
                return Plan("execute", self._search_path_sql())
            if ref.name == "setval" and arg is not None:
                target = _string_schema(arg)
                if target is None or target[0] == self._source_in_file:
                    return Plan("execute", self._rewrite(statement))
                raise self._refuse(statement, f"changes the sequence {self.text_of('.'.join(target))}")
        raise self._refuse(statement, "runs a query (SELECT), which a schema dump does not need")

    def _rewrite(self, statement: Statement) -> str:
        """The statement's text with the source schema replaced where it qualifies a name."""
        if self.target is None:
            return ""
        sig = statement.sig
        target = self._in_file(self._target_sql)
        replace: dict[int, str] = {}
        for k, tok in enumerate(sig):
            if _is_name(tok) and k + 1 < len(sig) and sig[k + 1].text == "." \
                    and (k == 0 or sig[k - 1].text != ".") and name_value(tok) == self._source_in_file:
                replace[id(tok)] = target
            elif tok.kind == "string" and tok.text.startswith("'") and _string_names_object(sig, k):
                parsed = _string_schema(tok)
                if parsed is not None and parsed[0] == self._source_in_file:
                    replace[id(tok)] = "'" + (target + "." + parsed[1]).replace("'", "''") + "'"
        text = "".join(replace.get(id(t), t.text) for t in statement.tokens).rstrip().rstrip(";")
        return self.text_of(text)


def _is_owner_change(sig: list[Token]) -> bool:
    words = [t.text.upper() for t in sig if t.kind == "word"]
    return "OWNER" in words and words[words.index("OWNER") + 1:][:1] == ["TO"]


def _string_names_object(sig: list[Token], k: int) -> bool:
    """'s.name'::regclass, or the sequence argument of setval/nextval/currval."""
    if k + 2 < len(sig) and sig[k + 1].text == "::" and sig[k + 2].text.upper() in _REG_TYPES:
        return True
    return k >= 2 and sig[k - 1].text == "(" and sig[k - 2].kind == "word" and \
        sig[k - 2].text.lower() in _SEQ_FUNCTIONS


def _string_schema(tok: Token) -> tuple[str, str] | None:
    """('schema', 'rest') of a literal like 'schema.rest' or '"Sch""ema".rest'."""
    if tok.kind != "string" or not tok.text.startswith("'"):
        return None
    body = tok.text[1:-1].replace("''", "'")
    if body.startswith('"'):
        m = _QIDENT.match(body)
        if m is None:
            return None
        first, rest = m.group()[1:-1].replace('""', '"'), body[m.end():]
    else:
        dot = body.find(".")
        if dot <= 0:
            return None
        first, rest = body[:dot].translate(_ASCII_LOWER), body[dot:]
    return (first, rest[1:]) if rest.startswith(".") and len(rest) > 1 else None


# ---------------------------------------------------------------- encodings

_PG_CODECS = {
    "UTF8": "utf-8", "UNICODE": "utf-8", "SQLASCII": "utf-8", "LATIN1": "latin-1", "LATIN2": "iso8859-2",
    "LATIN3": "iso8859-3", "LATIN4": "iso8859-4", "LATIN5": "iso8859-9", "LATIN6": "iso8859-10",
    "LATIN7": "iso8859-13", "LATIN8": "iso8859-14", "LATIN9": "iso8859-15", "LATIN10": "iso8859-16",
    "WIN1250": "cp1250", "WIN1251": "cp1251", "WIN1252": "cp1252", "WIN1253": "cp1253",
    "WIN1254": "cp1254", "WIN1255": "cp1255", "WIN1256": "cp1256", "WIN1257": "cp1257",
    "WIN1258": "cp1258", "WIN866": "cp866", "WIN874": "cp874", "KOI8R": "koi8-r", "KOI8U": "koi8-u",
    "EUCJP": "euc-jp", "EUCKR": "euc-kr", "EUCCN": "gb2312", "ISO88595": "iso8859-5",
    "ISO88596": "iso8859-6", "ISO88597": "iso8859-7", "ISO88598": "iso8859-8",
}


def python_codec(pg_encoding: str) -> str:
    """The Python codec for a PostgreSQL encoding name, or an ArchiveError."""
    codec = _PG_CODECS.get(pg_encoding.upper().replace("_", "").replace("-", ""))
    if codec is None:
        raise ArchiveError(f"The file is written in the {pg_encoding} encoding, which Resguardo cannot read.")
    return codec


def client_encoding_of(statement: Statement) -> str | None:
    """The encoding named by `SET client_encoding = '...'`, if that is what the statement is."""
    sig = statement.sig
    if len(sig) >= 4 and sig[0].text.upper() == "SET" and sig[1].text.lower() == "client_encoding":
        value = sig[3] if sig[2].text == "=" or sig[2].text.upper() == "TO" else sig[2]
        return value.text.strip("'\"")
    return None


# ---------------------------------------------------------------- the preview's pass


@dataclass
class DumpFacts:
    """What a pg_dump SQL stream holds, learned by reading it once without running anything."""

    source_schema: str = ""
    tables: dict[str, int | None] = field(default_factory=dict)  # name -> rows in the file (None: unknown)
    dumped_from: str = ""
    dumped_by: str = ""
    encoding: str = "utf-8"


def scan_dump(lines: Iterable[bytes]) -> DumpFacts:
    """Read a whole dump and check it statically: pg_dump's own, complete, one schema, nothing outside.

    Raises ArchiveError (RefusedStatement for a statement reaching outside the tenant).
    """
    reader = ScriptReader(lines)
    facts = DumpFacts()
    early: list[Statement | MetaCommand] = []  # statements before CREATE SCHEMA, checked once we know it
    planner: Planner | None = None
    for item in reader:
        if not reader.header_seen:
            raise ArchiveError("The file is not a pg_dump output (it does not start with "
                               f"'{HEADER_LINE}'); Resguardo restores only pg_dump files of one schema.")
        if isinstance(item, Statement):
            encoding = client_encoding_of(item)
            if encoding is not None:
                facts.encoding = python_codec(encoding)
            a = analyse(item)
            if planner is None and a.head == "CREATE" and "SCHEMA" in a.run and a.schemas and not a.targets:
                facts.source_schema = a.schemas[0].encode("latin-1").decode(facts.encoding, errors="replace")
                planner = Planner(facts.source_schema, None, facts.encoding)
                for pending in early:
                    _check(planner, pending)
                early = []
        if planner is None:
            if len(early) > 10_000:
                break
            early.append(item)
            continue
        _check(planner, item)
        if isinstance(item, Statement):
            a = analyse(item)
            if a.head == "CREATE" and "TABLE" in a.run and a.targets:
                facts.tables.setdefault(planner.text_of(a.targets[0].name), 0)
            elif a.head in ("COPY", "INSERT") and a.targets:
                table = planner.text_of(a.targets[0].name)
                rows = sum(1 for _ in reader.copy_rows()) if a.head == "COPY" else \
                    (1 if a.head == "INSERT" else None)
                current = facts.tables.get(table, 0)
                facts.tables[table] = None if rows is None or current is None else current + rows
    if not reader.header_seen:
        raise ArchiveError("The file is not a pg_dump output (it is empty or has no "
                           f"'{HEADER_LINE}' header).")
    if planner is None:
        raise ArchiveError("The file is not a dump of one tenant schema: it creates no schema "
                           "(was it made with pg_dump --schema=<tenant>?).")
    if not reader.trailer_seen:
        raise ArchiveError(f"The file is incomplete: its last line '{TRAILER_LINE}' is missing "
                           "(the file was truncated or pg_dump failed while writing it).")
    facts.dumped_from, facts.dumped_by = reader.dumped_from, reader.dumped_by
    return facts


def _check(planner: Planner, item: Statement | MetaCommand) -> None:
    if isinstance(item, MetaCommand):
        planner.check_meta(item)
    else:
        planner.plan(item)
