"""A real headless Chromium for the page and extension tests (Debian's chromium, chromium-driver) and a live server."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
# Screenshots land here (CI keeps the folder as its artifact); BOTLENS_TEST_ARTIFACTS moves it.
ARTIFACTS = Path(os.environ.get("BOTLENS_TEST_ARTIFACTS") or ROOT / "test-artifacts")
# The flags a closed network needs: no background connections, no GPU, no sandbox when run as root.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _binaries() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("Chromium and ChromeDriver are not installed (Debian: chromium chromium-driver)")
    return browser, driver


@contextlib.contextmanager
def chromium(args: Sequence[str] = (), width: int = 1200, height: int = 900) -> Iterator[Any]:
    """A headless Chromium driven by selenium, with a fresh profile; closed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = _binaries()
    profile = tempfile.mkdtemp(prefix="botlens-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", *args):
        options.add_argument(flag)
    # The driver is the installed one: selenium must not look for (or download) another.
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def live_server(app: Any, ssl_context: Any = None) -> Iterator[str]:
    """Serves a WSGI app on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(5)


def screenshot(driver: Any, name: str) -> Path:
    """Saves a PNG of the window as a test artifact; returns its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path
