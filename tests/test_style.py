"""The code is linted, formatted and type-checked as part of the test run (the same command CI runs)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists() and shutil.which(name) is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return str(path if path.exists() else name)


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff_clean(args: list[str]) -> None:
    run = subprocess.run([_tool("ruff"), *args], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_mypy_clean() -> None:
    # The packages and files to check are configured in pyproject.toml ([tool.mypy]).
    run = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_import_contracts_kept() -> None:
    # The layers, the forbidden imports and acyclic packages are configured in pyproject.toml ([tool.importlinter]).
    run = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_installed_versions_are_the_constraints() -> None:
    from importlib.metadata import PackageNotFoundError, version

    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            pins[canonicalize_name(name)] = pinned
    assert pins, "constraints.txt pins nothing"
    wrong = {}
    for name, pinned in pins.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # an extra this environment does not install
        if installed != pinned:
            wrong[name] = f"{installed} installed, {pinned} pinned"
    assert not wrong, wrong


def test_readme_ci_and_image_install_with_the_constraints() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = next(line for line in readme.splitlines() if "python -m pytest" in line and "pip install" in line)
    assert test_command.strip() in ci
    assert "-c constraints.txt" in test_command
    assert "pip install -c constraints.txt" in (ROOT / "Dockerfile").read_text()
