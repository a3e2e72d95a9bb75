"""Tell a watcher how a run went (the healthchecks.io / ntfy convention): GET URL on success; POST the summary
to URL/fail on failure. A watcher that cannot be reached never changes the run's result."""

from __future__ import annotations

import urllib.error
import urllib.request

TIMEOUT = 10.0


def ping(url: str, *, failed: bool, summary: str) -> str:
    """What happened, as a sentence for the run's record."""
    target = url.rstrip("/") + "/fail" if failed else url
    data = summary.encode() if failed else None
    request = urllib.request.Request(target, data=data, method="POST" if failed else "GET")
    request.add_header("User-Agent", "Resguardo")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # the user's http(s) URL, checked when saved
            return f"Told {target}: HTTP {response.status}."
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"Could not tell {target}: {getattr(exc, 'reason', exc)}."
