"""The browser extension: its handle parsing on each site's URLs, and its badge in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.browser import chromium, live_server, screenshot

EXTENSION = Path(__file__).resolve().parent.parent / "extension"
README = Path(__file__).resolve().parent.parent / "README.md"
# The unpacked extension, and x.com answered by the local profile site (its certificate self-signed).
EXTENSION_FLAGS = (
    f"--load-extension={EXTENSION}",
    f"--disable-extensions-except={EXTENSION}",
    "--host-resolver-rules=MAP x.com 127.0.0.1",
    "--ignore-certificate-errors",
)


def extension_id() -> str:
    """The id Chromium gives the unpacked extension: from the public key in its manifest."""
    der = base64.b64decode(json.loads((EXTENSION / "manifest.json").read_text())["key"])
    return "".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(der).hexdigest()[:32])


CASES: list[tuple[str, Any]] = [
    ("https://x.com/jack", {"platform": "twitter", "key": "@jack"}),
    ("https://x.com/Jack_Dorsey_1/", {"platform": "twitter", "key": "@Jack_Dorsey_1"}),
    ("https://twitter.com/jack/with_replies", {"platform": "twitter", "key": "@jack"}),
    ("https://mobile.twitter.com/jack/media?lang=en", {"platform": "twitter", "key": "@jack"}),
    ("https://x.com/jack/status/20", None),
    ("https://x.com/home", None),
    ("https://x.com/explore/tabs/trending", None),
    ("https://x.com/i/lists/123", None),
    ("https://x.com/search?q=bots", None),
    ("https://x.com/", None),
    ("https://x.com/much_too_long_handle_x", None),
    ("https://bsky.app/profile/alice.bsky.social", {"platform": "bluesky", "key": "@alice.bsky.social"}),
    ("https://bsky.app/profile/Alice.Example.COM/", {"platform": "bluesky", "key": "@alice.example.com"}),
    (
        "https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur",
        {"platform": "bluesky", "key": "did:plc:z72i7hdynmk6r22z27h6tvur"},
    ),
    ("https://bsky.app/profile/alice.bsky.social/post/3k2", None),
    ("https://bsky.app/notifications", None),
    ("https://mastodon.social/@Gargron", {"platform": "mastodon", "key": "@Gargron@mastodon.social"}),
    ("https://fosstodon.org/@someone@mastodon.social", {"platform": "mastodon", "key": "@someone@mastodon.social"}),
    ("https://mastodon.social/@Gargron/110000000", None),
    ("https://mastodon.social/@", None),
    ("https://example.com/about", None),
    ("not a url", None),
    ("javascript:alert(1)", None),
]


@pytest.fixture(scope="module")
def parser() -> Iterator[Any]:
    """A Chromium page holding extension/handles.js as the content script sees it."""
    source = (EXTENSION / "handles.js").read_text()
    with chromium() as driver:
        driver.get("about:blank")
        driver.execute_script(source)
        yield lambda url: driver.execute_script("return globalThis.botlensHandles.parse(arguments[0])", url)


@pytest.mark.parametrize(("url", "expected"), CASES)
def test_extension_parses_profile_urls(parser: Any, url: str, expected: Any) -> None:
    assert parser(url) == expected


def test_extension_manifest_is_mv3_with_the_documented_id() -> None:
    manifest = json.loads((EXTENSION / "manifest.json").read_text())
    assert manifest["manifest_version"] == 3
    assert manifest["permissions"] == ["storage"]
    assert "host_permissions" not in manifest  # the server's CORS list admits the extension, no site access
    assert f"chrome-extension://{extension_id()}" in README.read_text()
    for script in manifest["content_scripts"][0]["js"] + [manifest["background"]["service_worker"]]:
        assert (EXTENSION / script).is_file()


def _profile_site() -> Flask:
    site = Flask("profile-site")

    @site.route("/<path:path>")
    def profile(path: str) -> str:
        return f"<!doctype html><title>{path}</title><h1>profile {path}</h1>"

    return site


def _badge(driver: Any, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = driver.execute_script(
            "const h = document.getElementById('botlens-badge-host'); return h ? h.shadowRoot.textContent : null"
        )
        if text:
            return str(text)
        time.sleep(0.2)
    return None


def _configure(driver: Any, server: str, key: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"chrome-extension://{extension_id()}/options.html")
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "serverUrl").is_displayed())
    driver.find_element(By.ID, "serverUrl").send_keys(server)
    driver.find_element(By.ID, "apiKey").send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(expected_conditions.text_to_be_present_in_element((By.ID, "saved"), "Saved"))


def _score(app: Any, key: str, account_id: str, screen_name: str) -> dict[str, Any]:
    posts = [{"id": str(i), "created_at": f"2024-03-{1 + i:02d}T10:00:00Z", "text": "hello"} for i in range(20)]
    body = {"account": {"id": account_id, "screen_name": screen_name}, "posts": posts}
    response = app.test_client().post("/v1/score", json=body, headers={"X-API-Key": key})
    assert response.status_code == 200
    assert app.extensions["botlens.store"].writer.flush(10)
    return dict(response.get_json())


def test_extension_badge_on_a_profile_page(app_factory: Any, tmp_path: Path) -> None:
    from store.keys import KeyStore, mint

    key, record = mint("extension", 1000)
    origin = f"chrome-extension://{extension_id()}"
    app = app_factory(
        STORE_DIR=str(tmp_path), AUTH_ENABLED=True, API_KEYS=KeyStore([record]).records(), CORS_ORIGINS=[origin]
    )
    scored = _score(app, key, "783214", "Jack_Test")
    with live_server(app) as server, live_server(_profile_site(), ssl_context="adhoc") as site:
        port = site.rsplit(":", 1)[1]
        with chromium(EXTENSION_FLAGS) as driver:
            _configure(driver, server, key)
            driver.get(f"https://x.com:{port}/jack_test")
            text = _badge(driver, 15)
            assert text is not None, "no badge on a stored account's profile"
            assert scored["label"] in text
            label_head = scored["label"] if scored["label"] in scored["scores"] else None
            reasons = [f["reason"] for f in scored["explanations"][label_head or _top(scored)]["top_features"][:3]]
            assert all(reason in text for reason in reasons)
            screenshot(driver, "extension-badge.png")
            # Same tab, a single-page app's navigation: the badge goes with the account.
            driver.execute_script("history.pushState({}, '', '/never_scored')")
            time.sleep(2.5)
            assert _badge(driver, 0.5) is None, "a badge stayed on an account that was never scored"
            driver.get(f"https://x.com:{port}/home")
            assert _badge(driver, 3) is None


def _top(scored: dict[str, Any]) -> str:
    return max(scored["scores"], key=lambda head: scored["scores"][head])


def test_extension_no_badge_when_the_server_does_not_admit_its_origin(app_factory: Any, tmp_path: Path) -> None:
    app = app_factory(STORE_DIR=str(tmp_path))  # no CORS_ORIGINS
    _score(app, "", "1", "someone")
    with live_server(app) as server, live_server(_profile_site(), ssl_context="adhoc") as site:
        port = site.rsplit(":", 1)[1]
        with chromium(EXTENSION_FLAGS) as driver:
            _configure(driver, server, "")
            driver.get(f"https://x.com:{port}/someone")
            assert _badge(driver, 4) is None
