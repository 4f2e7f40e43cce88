"""The shipped nginx configuration (deploy/nginx.conf) started in front of a local server, for tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_config(folder: Path, listen: int, upstream: str) -> Path:
    """deploy/nginx.conf with its own port, upstream and temp folders (everything else as shipped)."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text = text.replace("listen 8000;", f"listen 127.0.0.1:{listen};")
    text = text.replace("server 127.0.0.1:8001;", f"server {upstream};")
    text = text.replace("/tmp/botlens-nginx", str(folder / "nginx"))
    path = folder / "nginx.conf"
    path.write_text(text)
    return path


@contextmanager
def nginx(folder: Path, upstream: str) -> Iterator[str]:
    """nginx with the shipped configuration in front of ``upstream`` (host:port); yields its base URL."""
    if NGINX is None:
        raise RuntimeError("nginx is not installed (apt-get install nginx-light)")
    port = free_port()
    config = nginx_config(folder, port, upstream)
    proc = subprocess.Popen([NGINX, "-c", str(config), "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("nginx did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
