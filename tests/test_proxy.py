"""Slow clients against gunicorn alone and behind the shipped nginx (deploy/nginx.conf), bounded in time."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from loadtests.proxy import NGINX, nginx
from tests import servers, synthetic

pytestmark = pytest.mark.skipif(NGINX is None or not servers.GUNICORN.exists(), reason="needs nginx and gunicorn")
BODY = json.dumps(synthetic.human(1, np.random.default_rng(1), 20)).encode()
# How long the slow clients keep their connections (they send a byte a second) and how long a
# normal request may take while they do.
SLOW_SECONDS = 8
PATIENCE = 3.0


def _slow_clients(base: str, headers: int, bodies: int, stop: threading.Event) -> list[threading.Thread]:
    """Connections that send their headers, or a 1 MB body, one byte a second."""
    port = int(base.rsplit(":", 1)[1])

    def slow(kind: str) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=SLOW_SECONDS + 5) as sock:
            if kind == "body":
                sock.sendall(
                    b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000000\r\n\r\n"
                )
                drip = b"{"
            else:
                sock.sendall(b"POST /v1/score HTTP/1.1\r\n")
                drip = b"X"
            end = time.time() + SLOW_SECONDS
            while time.time() < end and not stop.is_set():
                try:
                    sock.sendall(drip)
                except OSError:
                    return
                time.sleep(1)

    threads = [threading.Thread(target=slow, args=(k,), daemon=True) for k in ["header"] * headers + ["body"] * bodies]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # let them connect and start dripping
    return threads


def _served_in_time(url: str) -> bool:
    request = urllib.request.Request(url, data=BODY, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=PATIENCE) as response:
            return response.status == 200
    except (OSError, TimeoutError):
        return False


def test_slow_clients_stall_gunicorn_alone_but_not_behind_nginx(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    with servers.gunicorn(small_model, public_key, tmp_path) as (direct, _):
        # Without the proxy: two connections dribbling headers hold both sync workers.
        stop = threading.Event()
        threads = _slow_clients(direct, headers=2, bodies=0, stop=stop)
        alone = _served_in_time(f"{direct}/v1/score")
        stop.set()
        for thread in threads:
            thread.join(timeout=SLOW_SECONDS + 5)
        # With the shipped nginx in front: headers and bodies are buffered there.
        with nginx(tmp_path, direct.removeprefix("http://")) as proxied:
            stop = threading.Event()
            threads = _slow_clients(proxied, headers=2, bodies=20, stop=stop)
            behind = [_served_in_time(f"{proxied}/v1/score") for _ in range(5)]
            stop.set()
            for thread in threads:
                thread.join(timeout=SLOW_SECONDS + 5)
    assert not alone, "gunicorn alone answered despite the slow clients: the test no longer reproduces the stall"
    assert behind == [True] * 5


def test_proxy_errors_are_problem_json(small_model: tuple[Path, Path], public_key: Path, tmp_path: Path) -> None:
    with servers.gunicorn(small_model, public_key, tmp_path) as (direct, _):
        with nginx(tmp_path, direct.removeprefix("http://")) as proxied:
            port = int(proxied.rsplit(":", 1)[1])
            answers = {}
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(
                    b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 40000000\r\n\r\n"
                )
                answers[413] = sock.recv(4096)
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
                answers[400] = sock.recv(4096)
            app_problem = servers.post(f"{proxied}/v1/score", b"{")
    # Nothing listening upstream (gunicorn down): nginx answers for it.
    with nginx(tmp_path, f"127.0.0.1:{servers.free_port()}") as orphan:
        unavailable = servers.post(f"{orphan}/v1/score", BODY)
    for status, raw in answers.items():
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(f"HTTP/1.1 {status}".encode()), head
        assert b"application/problem+json" in head
        assert json.loads(body)["status"] == status
    assert app_problem[0] == 400 and app_problem[1]["type"] == "urn:botlens:problem:malformed-json"
    assert unavailable[0] == 503 and unavailable[1]["type"] == "urn:botlens:problem:service-unavailable"
    assert unavailable[2].get("Retry-After") == "5"
