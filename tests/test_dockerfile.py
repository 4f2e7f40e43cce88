"""Static checks of the Dockerfile (no Docker engine here): the rules a hadolint-style review asserts."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.strip().startswith("#")
]


def _all(keyword: str) -> list[str]:
    return [line[len(keyword) :].strip() for line in INSTRUCTIONS if line.upper().startswith(keyword + " ")]


def test_dockerfile_multistage_with_pinned_slim_base() -> None:
    bases = _all("FROM")
    assert len(bases) >= 2
    for base in bases:
        image = base.split()[0]
        assert ":" in image and not image.endswith(":latest"), image
        assert re.search(r":\d+\.\d+\.\d+", image), f"pin the full version: {image}"
        assert "slim" in image


def test_dockerfile_runs_as_non_root_user() -> None:
    users = _all("USER")
    assert users and users[-1] not in ("root", "0")
    last_user = max(i for i, line in enumerate(INSTRUCTIONS) if line.upper().startswith("USER "))
    last_cmd = max(i for i, line in enumerate(INSTRUCTIONS) if line.upper().startswith("CMD "))
    assert last_user < last_cmd


def test_dockerfile_has_no_secrets() -> None:
    for env in _all("ENV") + _all("ARG"):
        assert not re.search(r"(KEY|SECRET|PASSWORD|TOKEN)\w*=", env, re.IGNORECASE), env
    assert "keys.json" not in DOCKERFILE
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".git" in ignored and ".venv" in ignored


def test_dockerfile_ships_model_and_healthcheck() -> None:
    assert any("model" in c for c in _all("COPY"))
    health = _all("HEALTHCHECK")
    assert health and "/health/ready" in health[0]


def test_dockerfile_runs_the_readme_serve_command_behind_the_shipped_nginx() -> None:
    cmd = _all("CMD")[-1]
    argv = json.loads(cmd) if cmd.startswith("[") else shlex.split(cmd)
    assert argv == ["deploy/start.sh"]
    start = (ROOT / "deploy" / "start.sh").read_text()
    readme = (ROOT / "README.md").read_text()
    quickstart = next(line for line in readme.splitlines() if "pip install" in line and "botlens serve" in line)
    assert quickstart.rstrip().endswith(".venv/bin/botlens serve"), "README's first command starts the service"
    assert "\nbotlens serve &" in start
    assert 'nginx -c "$PWD/deploy/nginx.conf"' in start
    # Everything the service reads ships inside the package: only the entry point is copied beside it.
    assert not any("gunicorn.conf.py" in c or "openapi.yaml" in c for c in _all("COPY"))
    assert any("deploy" in c for c in _all("COPY"))
    # gunicorn listens on loopback where nginx forwards to, and the app trusts that one proxy hop.
    env = " ".join(_all("ENV"))
    assert "BOTLENS_BIND=127.0.0.1:8001" in env and "BOTLENS_PROXY_HOPS=1" in env
    assert "server 127.0.0.1:8001;" in (ROOT / "deploy" / "nginx.conf").read_text()
    assert "nginx" in " ".join(_all("RUN"))


def test_dockerfile_copies_every_package() -> None:
    import tomllib

    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    packages = {pattern.rstrip("*") for pattern in found["include"]}
    copied = {c.split()[0] for c in _all("COPY") if not c.startswith("--from")}
    assert packages == {"api", "cli", "model", "spark", "store"}
    assert packages <= copied
