"""The recovery sheet: one printable page that lets someone recover a backup by hand, years later, with `age`.

It holds the public key, its fingerprint and the two commands; never the bare private key. With
`include_key_file` it also holds the key file's text, which is still encrypted with the passphrase (the paper copy
of the key for a safe: whoever finds the sheet still needs the passphrase).
"""

from __future__ import annotations

import html
import time
from pathlib import Path

from app.engine.encryption.header import read_header
from app.engine.encryption.recipients import fingerprint
from app.engine.errors import UsageError
from app.engine.stores.files import write_atomically

_STYLE = (
    "body{font-family:sans-serif;max-width:46em;margin:2em auto;line-height:1.4}"
    "code,pre{font-family:monospace;font-size:0.95em;word-break:break-all;white-space:pre-wrap}"
    "pre{border:1px solid #888;padding:0.6em}h1{font-size:1.4em}"
)


def recovery_sheet_html(public_key: str, key_file_name: str, key_file_text: str | None = None) -> str:
    """The page's HTML for the key whose public half is `public_key`, kept in the file named `key_file_name`."""
    e = html.escape
    example = "CLINIC_DATE.resguardo"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Resguardo recovery sheet</title>',
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Resguardo recovery sheet</h1>",
        f"<p>Printed {e(time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))}. Keep it with the key file "
        f"<code>{e(key_file_name)}</code>, away from the backups.</p>",
        "<h2>The key</h2>",
        f"<p>Public key (backups are encrypted to it):</p><pre>{e(public_key)}</pre>",
        f"<p>Fingerprint: <code>{e(fingerprint(public_key))}</code> "
        f"(check: <code>printf %s '{e(public_key)}' | sha256sum</code>)</p>",
        "<h2>Recovering a backup by hand</h2>",
        "<p>Any computer with <code>age</code> (Debian/Ubuntu: <code>apt install age</code>; "
        "<a href='https://age-encryption.org'>age-encryption.org</a>). The commands ask for the key's passphrase.</p>",
        "<ol>",
        f"<li>Decrypt the backup:<pre>age -d -i {e(key_file_name)} -o {example} {example}.age</pre></li>",
        f"<li>If the key file itself is needed in the clear (for a tool that cannot ask for a passphrase):"
        f"<pre>age -d -o key.txt {e(key_file_name)}</pre>then destroy <code>key.txt</code> when done.</li>",
        "</ol>",
        "<p>The decrypted file is a normal backup: <code>resguardo verify --file FILE</code> checks it, and a "
        "<code>.sql</code> or <code>.dump</code> file is also read by PostgreSQL's own <code>psql</code> and "
        "<code>pg_restore</code>; a <code>.resguardo</code> file is a tar archive (docs/archive-format.md).</p>",
    ]
    if key_file_text is not None:
        parts += [
            "<h2>The key file (still protected by its passphrase)</h2>",
            f"<p>Type or scan this into a file named <code>{e(key_file_name)}</code>; it is useless without the "
            "passphrase.</p>",
            f"<pre>{e(key_file_text)}</pre>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_recovery_sheet(out: Path, public_key: str, key_file: Path, *, include_key_file: bool = False) -> Path:
    """Write the sheet to `out`; the key file's text only when asked and only when a passphrase protects it."""
    text = None
    if include_key_file:
        header = read_header(key_file)
        if header is None or not header.passphrase or not header.armored:
            raise UsageError(
                f"{key_file.name} is not protected by a passphrase: the sheet would hold the private key in the "
                "clear, so Resguardo does not print it."
            )
        text = key_file.read_text(encoding="ascii", errors="replace")
    write_atomically(Path(out), recovery_sheet_html(public_key, key_file.name, text).encode())
    return Path(out)
