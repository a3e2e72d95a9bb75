"""The one thing pyproject.toml cannot say: the top-level `resources/` folder (icons, translations, the desktop
entry) is the window's package data, installed as `app/resources/` in the wheel (docs/architecture.md)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["app*"]), "app.resources"],
    package_dir={"app.resources": "resources"},
    package_data={
        "app": ["engine/server/sql/*.sql"],
        "app.resources": ["*", "icons/*", "translations/*"],
    },
)
