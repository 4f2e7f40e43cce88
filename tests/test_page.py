"""The web page at / in a real headless Chromium, against a live local server."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from store.keys import KeyStore, mint
from tests import samples
from tests.browser import chromium, live_server, screenshot

STATIC = Path(__file__).resolve().parent.parent / "api" / "static"


def test_page_samples_are_the_generators_output() -> None:
    for name, text in samples.files().items():
        assert (STATIC / "samples" / name).read_text() == text, f"run python -m tests.samples ({name} is stale)"


def test_page_served_public_with_security_headers(app_factory: Any, tmp_path: Path) -> None:
    _, record = mint("someone", 5)
    keys = KeyStore([record]).records()
    client = app_factory(STORE_DIR=str(tmp_path), AUTH_ENABLED=True, API_KEYS=keys).test_client()
    for path in ("/", "/static/app.js", "/static/app.css", "/static/samples/index.json"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon.mimetype) == (200, "image/x-icon") and icon.data[:4] == b"\x00\x00\x01\x00"
    assert client.get("/static/../api/__init__.py").status_code == 404
    assert client.get("/static/nothing.js").status_code == 404
    # Nothing is fetched from elsewhere: the page works offline.
    page = client.get("/").get_data(as_text=True) + client.get("/static/app.js").get_data(as_text=True)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page


@pytest.fixture()
def server(app_factory: Any, tmp_path: Path) -> Any:
    app = app_factory(STORE_DIR=str(tmp_path))
    with live_server(app) as base:
        yield app, base


def _score_via_api(base: str, body: bytes) -> dict[str, Any]:
    request = urllib.request.Request(f"{base}/v1/score", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def test_page_scores_a_sample_and_draws_each_explanation(server: Any) -> None:
    app, base = server
    with chromium() as driver:
        driver.get(base + "/")
        wait = WebDriverWait(driver, 15)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sample option")) > 1)
        Select(driver.find_element(By.ID, "sample")).select_by_value("scheduler-bot.json")
        wait.until(lambda d: d.find_element(By.ID, "body").get_property("value").startswith("{"))
        driver.find_element(By.ID, "score-button").click()
        label = wait.until(expected_conditions.visibility_of_element_located((By.ID, "label")))
        expected = _score_via_api(base, (STATIC / "samples" / "scheduler-bot.json").read_bytes())
        assert label.text == expected["label"]
        shown = {e.get_attribute("data-score"): float(e.text) for e in driver.find_elements(By.CSS_SELECTOR, ".score")}
        assert shown == pytest.approx({head: round(s, 3) for head, s in expected["scores"].items()}, abs=1e-9)
        # One threshold marker per head (from /v1/model) and one waterfall per head ending at the raw score.
        assert len(driver.find_elements(By.CSS_SELECTOR, ".bar .threshold")) == 3
        charts = driver.find_elements(By.CSS_SELECTOR, "svg.waterfall")
        assert len(charts) == 3
        for chart, (head, explanation) in zip(charts, expected["explanations"].items()):
            assert chart.get_attribute("aria-label").endswith(f"raw score {explanation['raw_score']:.2f} log-odds")
            last = chart.find_elements(By.CSS_SELECTOR, "text")[-1]
            assert float(last.text) == pytest.approx(explanation["raw_score"], abs=0.006), head
        reasons = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "section.head[data-head=bot] li")]
        assert reasons == [f["reason"] for f in expected["explanations"]["bot"]["top_features"]]
        # The bot types: every type's score, the leading one marked, and its reasons.
        kinds = {li.get_attribute("data-type"): li for li in driver.find_elements(By.CSS_SELECTOR, "#bot-types li")}
        assert set(kinds) == set(expected["bot_types"]["scores"])
        assert "leading" in kinds[expected["bot_types"]["leading"]].get_attribute("class")
        type_reasons = [li.text for li in driver.find_elements(By.CSS_SELECTOR, ".type-reasons li")]
        assert type_reasons == [f["reason"] for f in expected["bot_types"]["explanation"]["top_features"]]
        assert "null" not in driver.find_element(By.ID, "result-body").text.split()
        screenshot(driver, "page-scored.png")


def test_page_scores_the_platform_payload_sample_in_its_format(server: Any) -> None:
    app, base = server
    with chromium() as driver:
        driver.get(base + "/")
        wait = WebDriverWait(driver, 15)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#sample option")) > 1)
        Select(driver.find_element(By.ID, "sample")).select_by_value("mastodon-account.json")
        wait.until(lambda d: '"statuses"' in d.find_element(By.ID, "body").get_property("value"))
        assert Select(driver.find_element(By.ID, "format")).first_selected_option.get_attribute("value") == "mastodon"
        driver.find_element(By.ID, "score-button").click()
        label = wait.until(expected_conditions.visibility_of_element_located((By.ID, "label")))
        request = urllib.request.Request(
            f"{base}/v1/score?format=mastodon",
            data=(STATIC / "samples" / "mastodon-account.json").read_bytes(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            expected = json.loads(response.read())
        assert label.text == expected["label"] and expected["account_id"].startswith("109")


def test_page_lookup_by_keyboard_after_scoring(server: Any) -> None:
    app, base = server
    _score_via_api(base, (STATIC / "samples" / "modern-user.json").read_bytes())
    assert app.extensions["botlens.store"].writer.flush(10)
    with chromium() as driver:
        driver.get(base + "/")
        handle = driver.find_element(By.ID, "handle")
        handle.send_keys("@Sarah_Codes", Keys.ENTER)  # the keyboard alone submits the form
        label = WebDriverWait(driver, 15).until(expected_conditions.visibility_of_element_located((By.ID, "label")))
        assert label.text in {"human", "bot", "troll", "hijacked"}
        assert "sarah_codes" in driver.find_element(By.ID, "result-body").text
        assert driver.find_elements(By.CSS_SELECTOR, "#bot-types li.leading")  # the stored leading type
        handle.clear()
        handle.send_keys("never_scored", Keys.ENTER)
        alert = WebDriverWait(driver, 15).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, "[role=alert]"))
        )
        assert alert.text.startswith("404")


def test_page_reports_problems_and_fits_a_phone(server: Any) -> None:
    _, base = server
    with chromium(width=375, height=800) as driver:
        driver.get(base + "/")
        driver.find_element(By.ID, "body").send_keys('{"account": {}}')
        driver.find_element(By.ID, "score-button").click()
        alert = WebDriverWait(driver, 15).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, "[role=alert]"))
        )
        assert alert.text.startswith("422")
        assert "account.id" in alert.text
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(driver, "page-phone-problem.png")
