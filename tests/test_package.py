"""The package as a user installs it: a wheel in a fresh environment, away from the checkout, serves the
shipped model, its page and its spec, and finds its migrations (everything it reads is package data)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import free_port, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtual environment holding only the built wheel; its dependencies come from this one's
    site-packages by a .pth file (which adds no editable install: .pth files there are not read)."""
    folder = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, folder / "src", ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info"))
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "-w", str(folder / "dist"), str(folder / "src")], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")], check=True)
    python = folder / "venv" / "bin" / "python"
    (wheel,) = (folder / "dist").glob("botlens-*.whl")
    subprocess.run([*pip, "--python", str(python), "install", "-q", "--no-deps", str(wheel)], check=True)
    target = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(target) / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    yield folder / "venv"


def test_wheel_installs_the_packages_away_from_the_checkout(installed: Path, tmp_path: Path) -> None:
    script = "import api, cli, model, spark, store; print(*(m.__file__ for m in (api, cli, model, spark, store)))"
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", script], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    for path in out.stdout.split():
        assert str(installed) in path and not path.startswith(str(ROOT)), path


def test_wheel_serves_its_spec_page_and_model_with_botlens_serve(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("BOTLENS_", "PROMETHEUS_"))}
    environ.update(BOTLENS_BIND=f"127.0.0.1:{port}", BOTLENS_WORKERS="1", BOTLENS_STORE_DIR=str(tmp_path / "store"))
    server = subprocess.Popen(
        [str(installed / "bin" / "botlens"), "serve"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/health/ready", server, seconds=60)
        with urllib.request.urlopen(f"{base}/openapi.yaml", timeout=5) as response:
            assert response.read() == (ROOT / "openapi.yaml").read_bytes()
        with urllib.request.urlopen(f"{base}/", timeout=5) as response:
            assert b"botlens" in response.read().lower()
        body = b'{"account": {"id": "42", "screen_name": "someone"}}'
        request = urllib.request.Request(f"{base}/v1/score", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        # The store was created and migrated from the installed package's migrations.
        assert (tmp_path / "store" / "botlens.sqlite3").is_file()
    finally:
        server.terminate()
        server.wait(timeout=30)
