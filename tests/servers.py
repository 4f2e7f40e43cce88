"""A real gunicorn serving the app for tests that need several workers (reloads, shared quotas)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: bytes, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POSTs JSON; returns the status, the parsed body (empty if none) and the headers."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        return exc.code, json.loads(payload) if payload else {}, dict(exc.headers)


def wait_until_answering(url: str, server: subprocess.Popen[bytes], seconds: float = 30) -> None:
    """Waits until ``url`` answers 200.

    Raises:
        RuntimeError: the server exited, or did not answer within ``seconds``.
    """
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline or server.poll() is not None:
            raise RuntimeError(f"the server did not answer {url}")
        time.sleep(0.2)


@contextlib.contextmanager
def gunicorn(
    small_model: tuple[Path, Path],
    public_key: Path,
    folder: Path,
    workers: int = 2,
    env: Mapping[str, str] | None = None,
    ready: bool = True,
    log: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Starts gunicorn with ``api.server`` on a free port; yields its base URL, then stops it.

    Args:
        ready: Wait for ``/health/ready`` to answer 200 (else only for ``/health/live``).
        log: A file for gunicorn's and the app's log (else it is discarded).
    """
    port = free_port()
    metrics = folder / "metrics"
    metrics.mkdir(exist_ok=True)
    environ = {
        **os.environ,
        "BOTLENS_MODEL_PATH": str(small_model[0]),
        "BOTLENS_MODEL_CARD_PATH": str(small_model[1]),
        "BOTLENS_MODEL_PUBLIC_KEY_PATH": str(public_key),
        "BOTLENS_BIND": f"127.0.0.1:{port}",
        "BOTLENS_WORKERS": str(workers),
        "BOTLENS_LOG_LEVEL": "warning",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        **(env or {}),
    }
    if "BOTLENS_STATE_DIR" not in (env or {}):
        environ.pop("BOTLENS_STATE_DIR", None)  # each server gets api.server's fresh folder
    sink = open(log, "wb") if log else subprocess.DEVNULL
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "python:api.server", "api.app:create_app()"],
        cwd=ROOT,
        env=environ,
        stdout=sink,
        stderr=sink,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{base}/health/{'ready' if ready else 'live'}", server)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=20)
        if log:
            sink.close()  # type: ignore[union-attr]
