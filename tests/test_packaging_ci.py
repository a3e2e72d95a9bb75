"""The GitHub Actions workflow for the runners we do not have (.github/workflows/bundles.yml): each OS builds its
bundle as packaging/README.md says and runs the same smoke test .ci/run runs here; Windows compiles and tries its
installer; macOS signs and notarises only with the secrets. Read with a small parser of the YAML the file uses
(block mappings and lists, `|` blocks, flow lists, quotes): PyYAML is not a dependency."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO

WORKFLOW = REPO / ".github" / "workflows" / "bundles.yml"
OSES = {"ubuntu-latest": "Linux", "windows-latest": "Windows", "macos-latest": "macOS"}


class _Lines:
    """The file's lines, with a cursor; comment-only and blank lines are skipped except inside `|` blocks."""

    def __init__(self, text: str) -> None:
        self.raw = text.splitlines()
        self.at = 0

    def peek(self) -> tuple[int, str] | None:
        while self.at < len(self.raw):
            line = self.raw[self.at]
            if line.strip() and not line.strip().startswith("#"):
                return len(line) - len(line.lstrip(" ")), line.strip()
            self.at += 1
        return None


def _scalar(text: str) -> Any:
    text = text.strip()
    if text[:1] in "\"'":
        quote = text[0]
        end = text.index(quote, 1)
        assert not text[end + 1 :].strip() or text[end + 1 :].strip().startswith("#"), text
        return text[1:end]
    text = re.sub(r"\s+#.*$", "", text)
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(item) for item in text[1:-1].split(",") if item.strip()]
    return text


def _key_value(text: str) -> tuple[str, str] | None:
    """`key: rest` (or `key:`), or None when the text is a plain value."""
    match = re.match(r"""^("[^"]*"|'[^']*'|[\w.-]+):(?:\s+(.*))?$""", text)
    return (match.group(1).strip("\"'"), match.group(2) or "") if match else None


def _block_scalar(lines: _Lines, indent: int) -> str:
    body: list[str] = []
    while lines.at < len(lines.raw):
        line = lines.raw[lines.at]
        if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
            break
        body.append(line)
        lines.at += 1
    while body and not body[-1].strip():
        body.pop()
    margin = min(len(line) - len(line.lstrip(" ")) for line in body if line.strip())
    return "\n".join(line[margin:] for line in body) + "\n"


def _value(lines: _Lines, indent: int, rest: str) -> Any:
    if rest in ("|", "|-"):
        return _block_scalar(lines, indent)
    if rest:
        return _scalar(rest)
    nxt = lines.peek()
    if nxt is None or nxt[0] <= indent:  # `pull_request:` alone: null
        return None
    return _block(lines, nxt[0])


def _mapping(lines: _Lines, indent: int, first: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    while True:
        if first is not None:
            text, first = first, None
        else:
            nxt = lines.peek()
            if nxt is None or nxt[0] != indent or nxt[1].startswith("- "):
                assert nxt is None or nxt[0] < indent, f"line {lines.at + 1}: not where a key belongs"
                return found
            text = nxt[1]
            lines.at += 1
        pair = _key_value(text)
        assert pair is not None, f"line {lines.at}: {text!r} is not `key: value`"
        assert pair[0] not in found, f"line {lines.at}: {pair[0]} twice"
        found[pair[0]] = _value(lines, indent, pair[1])


def _block(lines: _Lines, indent: int) -> Any:
    nxt = lines.peek()
    assert nxt is not None
    if not nxt[1].startswith("- "):
        return _mapping(lines, indent)
    items: list[Any] = []
    while (nxt := lines.peek()) is not None and nxt[0] == indent and nxt[1].startswith("- "):
        lines.at += 1
        text = nxt[1][2:].strip()
        items.append(_mapping(lines, indent + 2, text) if _key_value(text) else _scalar(text))
    return items


def parse_workflow(text: str) -> dict[str, Any]:
    lines = _Lines(text)
    parsed = _mapping(lines, 0)
    assert lines.peek() is None, f"line {lines.at + 1} was not read"
    return parsed


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return parse_workflow(WORKFLOW.read_text(encoding="utf-8"))


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    assert isinstance(steps, list) and all(isinstance(step, dict) for step in steps)
    return steps


def _runs_on(step: dict[str, Any], system: str) -> bool:
    """Whether the step's condition lets it run on that OS (no condition: every OS)."""
    condition = step.get("if", "")
    named = re.findall(r"runner\.os == '(\w+)'", condition)
    return not named or system in named


def test_the_parser_reads_this_subset_of_yaml() -> None:
    text = 'a: 1\nb:\n  - x: "q # not a comment"\n    y: [p, "r"]\n  - plain  # a comment\nc: |\n  one\n\n  two\nd:\n'
    assert parse_workflow(text) == {
        "a": "1",
        "b": [{"x": "q # not a comment", "y": ["p", "r"]}, "plain"],
        "c": "one\n\ntwo\n",
        "d": None,
    }
    with pytest.raises(AssertionError):
        parse_workflow("a: 1\n  b: 2\n")


def test_every_os_builds_its_bundle_and_runs_the_smoke_test(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    assert jobs, "no job"
    covered = set()
    for name, job in jobs.items():
        matrix = job.get("strategy", {}).get("matrix", {})
        systems = matrix.get("os", [job["runs-on"]])
        assert job["runs-on"] in ("${{ matrix.os }}", *systems), name
        covered |= set(systems)
        steps = _steps(job)
        runs = [str(step.get("run", "")) for step in steps]
        python = next(step for step in steps if str(step.get("uses", "")).startswith("actions/setup-python@"))
        assert python["with"]["python-version"] == "3.11"
        for system in systems:
            here = [i for i, step in enumerate(steps) if _runs_on(step, OSES[system])]
            install = [i for i in here if 'pip install -e ".[bundle,test]"' in runs[i]]
            build = [i for i in here if "python scripts/build_bundle.py" in runs[i]]
            smoke = [
                i
                for i in here
                if "pytest tests/test_installed.py" in runs[i]
                and steps[i].get("env", {}).get("RESGUARDO_BUNDLE") == "dist/resguardo"
                and "-k" not in runs[i]  # the wheel too, not only the bundle
            ]
            assert install and build and smoke, f"{name} on {system}: install {install}, build {build}, smoke {smoke}"
            assert install[0] < build[0] < smoke[0], f"{name} on {system}: out of order"
    assert covered >= set(OSES), covered
    assert all(job.get("strategy", {}).get("fail-fast") in ("false", None) for job in jobs.values())


def test_windows_compiles_installs_and_uninstalls_the_installer(workflow: dict[str, Any]) -> None:
    (job,) = workflow["jobs"].values()
    windows = [step for step in _steps(job) if step.get("if") == "runner.os == 'Windows'"]
    script = "\n".join(str(step.get("run", "")) for step in windows)
    assert "choco install innosetup" in script
    (iscc,) = re.findall(r'& \$iscc "/DAppVersion=\$\{\{ steps\.version\.outputs\.version \}\}" (\S+)', script)
    assert (REPO / Path(iscc.replace("\\", "/"))).is_file()
    assert "Resguardo-Setup-${{ steps.version.outputs.version }}.exe" in script  # the .iss's OutputBaseFilename
    assert "/CURRENTUSER" in script and "unins000.exe" in script
    assert any(
        'RESGUARDO_BUNDLE="$INSTALLED"' in str(step.get("run", "")) and "tests/test_installed.py" in step["run"]
        for step in windows
    ), "the installed program runs the smoke test"
    version = next(step for step in _steps(job) if step.get("id") == "version")
    assert "app.__version__" in version["run"] and "if" not in version


def test_macos_signs_and_notarises_only_with_the_secrets_and_always_zips_the_app(workflow: dict[str, Any]) -> None:
    (job,) = workflow["jobs"].values()
    assert "secrets.MACOS_CERTIFICATE" in job["env"]["MACOS_SIGN"]
    steps = _steps(job)
    text = {step.get("name", step.get("uses")): (str(step.get("if", "")), str(step.get("run", ""))) for step in steps}
    signing = [name for name, (_, run) in text.items() if re.search(r"codesign|notarytool|stapler|security ", run)]
    assert {"codesign", "notarytool", "stapler"} <= set(re.findall(r"\b(codesign|notarytool|stapler)\b", str(text)))
    for name in signing:
        assert text[name][0] == "runner.os == 'macOS' && env.MACOS_SIGN == 'true'", name
    for step in steps:  # nothing else reads a secret: a fork's pull request runs everything but these
        uses_secret = "secrets." in str(step.get("env", "")) or "secrets." in str(step.get("run", ""))
        assert not uses_secret or "env.MACOS_SIGN == 'true'" in str(step.get("if", "")), step.get("name")
    (zipping,) = [
        name for name, (_, run) in text.items() if 'ditto -c -k --keepParent dist/Resguardo.app "dist/Resguardo-' in run
    ]
    assert "MACOS_SIGN" not in text[zipping][0]
    app_tests = [
        str(step.get("if"))
        for step in steps
        if step.get("env", {}).get("RESGUARDO_BUNDLE") == "dist/Resguardo.app/Contents/MacOS"
        and "pytest tests/test_installed.py" in str(step.get("run"))
    ]
    assert "runner.os == 'macOS'" in app_tests, "the app users get is smoke-tested, signed or not"


def test_the_artifacts_are_the_files_the_build_writes(workflow: dict[str, Any]) -> None:
    (job,) = workflow["jobs"].values()
    (upload,) = [step for step in _steps(job) if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    patterns = [line.strip() for line in upload["with"]["path"].splitlines() if line.strip()]
    made = {
        "Linux": "dist/resguardo-0.1.0-linux-x86_64.tar.gz",  # scripts/build_bundle.py's linux_tarball
        "Windows": "dist/Resguardo-Setup-0.1.0.exe",  # resguardo.iss's OutputBaseFilename
        "macOS": "dist/Resguardo-0.1.0-macos-arm64.zip",
    }
    for system, path in made.items():
        assert any(fnmatch.fnmatch(path, pattern) for pattern in patterns), system
    assert upload["with"]["if-no-files-found"] == "error"
    iss = (REPO / "packaging" / "windows" / "resguardo.iss").read_text(encoding="utf-8")
    assert "OutputBaseFilename=Resguardo-Setup-{#AppVersion}" in iss
    assert 'name = f"resguardo-{text}-linux-{platform.machine()}"' in (REPO / "scripts" / "build_bundle.py").read_text(
        encoding="utf-8"
    )
