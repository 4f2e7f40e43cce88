"""Real servers for tests: gunicorn serving the app with several workers (reloads, shared quotas, the
store's durability), and a throwaway PostgreSQL."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(
    url: str, body: bytes, headers: Mapping[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POSTs JSON; returns the status, the parsed body (empty if none) and the headers."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
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


def children(pid: int) -> list[int]:
    """The pids of a process's children (gunicorn's workers, a postmaster's backends)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def _pg_bin() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    return None


@dataclass(frozen=True)
class Postgres:
    """A running throwaway PostgreSQL: its URL and data folder."""

    url: str
    data: Path

    def processes(self) -> list[int]:
        """The postmaster's pid and its children's (the backends, which hold the connections)."""
        master = int((self.data / "postmaster.pid").read_text().split()[0])
        return [master, *children(master)]

    @contextlib.contextmanager
    def hung(self) -> Iterator[None]:
        """Stops every process of the server (SIGSTOP: connections stay open, nothing answers), then resumes them."""
        stopped = self.processes()
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in stopped:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    """Starts a throwaway PostgreSQL server on a free port (skips the test when none can be started here)."""
    folder = _pg_bin()
    if folder is None:
        pytest.skip("PostgreSQL is not installed (Debian's postgresql package)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (the postgres extra)")
    # Outside pytest's folders, which only root may enter: the server may run as another user.
    parent = Path(tempfile.mkdtemp(prefix="botlens-pg-"))
    data = parent / "data"
    port = free_port()
    # PostgreSQL refuses to run as root: as root, the server runs as an unprivileged user.
    user: dict[str, Any] = {}
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            account = pwd.getpwnam("nobody")
        parent.chmod(0o777)
        user = {"user": account.pw_uid, "group": account.pw_gid}
    try:
        subprocess.run(
            [str(folder / "initdb"), "-D", str(data), "-U", "botlens", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            **user,
        )
        subprocess.run(
            [
                str(folder / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                f"-p {port} -k {data} -c listen_addresses=127.0.0.1",
                "-w",
                "-l",
                str(data / "log"),
                "start",
            ],
            check=True,
            capture_output=True,
            **user,
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"could not start a PostgreSQL server: {exc}")
    try:
        yield Postgres(f"postgresql://botlens@127.0.0.1:{port}/postgres", data)
    finally:
        subprocess.run([str(folder / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True, **user)
        shutil.rmtree(parent, ignore_errors=True)
