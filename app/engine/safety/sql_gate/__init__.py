"""The SQL gate: no statement of a backup file reaches the server unparsed or unchecked.

Every statement is parsed with PostgreSQL's own parser (pglast, libpg_query) and
decided on its parse tree, before anything runs:

- an allow-list of statement kinds (what `pg_dump --schema` writes for one schema,
  and what Resguardo's own archives hold); transaction control, roles, settings,
  server files and programs, extensions, the database and the server are refused
  with a sentence that names the cause and the line;
- every name the statement creates or alters lies in the file's own schema (which
  becomes the staging schema); every qualified name it references lies there, in
  `pg_catalog` or in `public`; functions that reach outside the tenant (server
  files, large objects, advisory locks, signals, settings, queries from text) are
  refused wherever they appear;
- a pg_dump statement is rewritten on its tree (its schema, wherever it qualifies
  a name, becomes the staging schema), printed back with pglast, parsed again and
  compared with the tree that was checked: what is sent means exactly what was checked;
- `execute_checked` sends one statement through the extended query protocol, so the
  server itself refuses a text holding a second command.

Statements are parsed through libpg_query's JSON output, turned into pglast's AST
here: pglast's own `parse_sql` maps every node's location from UTF-8 bytes to
characters with a per-character table whose cost grows with the non-ASCII text
times the nodes (a 4 MB literal of 'é' took 12 s and 500 MB); the JSON route is
linear. Locations are dropped (statements are reported by their line).

Function bodies written as strings (`sql`, `plpgsql`) run with the rights of
whoever calls them, the restore among them (a CHECK, a default, an index, a
trigger): they are parsed too and may only query and change rows, with the same
name checks; dynamic SQL (`EXECUTE`) is refused. Names in them are not rewritten.

Limits: what a body does through functions of `public` is not seen (the session's
rights and the isolation proof bound it); expressions nested deeper than Python's
recursion limit allows are refused.

Where each part lives: `verdict` (checked or refused), `parse` (text to tree),
`kinds` (the allow-list), `names` and `targets` (the names a tree holds, creates
or alters; `tree`: the slots their walks follow), `outside` (functions that reach
outside the tenant), `function_bodies`,
`rules` (the checks, shared by both formats), `printing` (the round trip),
`setval`, `native` (a native archive's statements), `sending`. What a pg_dump
file may do beyond that is decided in `app/engine/pgdump/`.
"""
