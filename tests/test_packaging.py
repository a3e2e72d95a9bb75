"""An installed wheel holds what a checkout has: the window's icons and translations and the demo's SQL are
package data, found beside the `app` package (a file left out would vanish only for users)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_resource_file_is_package_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["app"]
    app = REPO / "app"
    shipped = {path for pattern in patterns for path in app.glob(pattern) if path.is_file()}
    needed = {
        path
        for folder in (app / "resources", app / "engine" / "server" / "sql")
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {p.relative_to(app).as_posix() for p in needed - shipped} == set()
    assert {"resources/translations/resguardo_es.ts", "resources/icons/restore.svg"} <= {
        p.relative_to(app).as_posix() for p in shipped
    }
