"""Reloads that bring a bad file keep the service up (against a real gunicorn, bounded in time)."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.resources import KEYS_CHECK_SECONDS
from store.keys import mint
from tests import servers, synthetic
from tests.test_reload import live_copy

pytestmark = pytest.mark.skipif(not servers.GUNICORN.exists(), reason="gunicorn not installed")
BODY = json.dumps(synthetic.human(1, np.random.default_rng(1), 20)).encode()


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _until(check: Any, seconds: float = 30.0) -> Any:
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def _metric(base: str, name: str) -> str:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        return "\n".join(line for line in response.read().decode().splitlines() if line.startswith(name))


def test_hup_with_a_tampered_artifact_keeps_serving_the_verified_model(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    model, card = live_copy(small_model, tmp_path / "live")
    with servers.gunicorn((model, card), public_key, tmp_path) as (base, server):
        statuses: list[int] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                statuses.append(servers.post(f"{base}/v1/score", BODY)[0])

        threads = [threading.Thread(target=load) for _ in range(3)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        data = bytearray(model.read_bytes())
        data[len(data) // 2] ^= 0xFF  # one flipped byte
        model.write_bytes(bytes(data))
        server.send_signal(signal.SIGHUP)
        # New workers come up on the fallback and say so.
        ready = _until(lambda: (r := _get(f"{base}/health/ready"))[1].get("detail") and r)
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        degraded = _metric(base, "botlens_degraded")
        assert server.poll() is None  # the master is still running
    assert len(statuses) > 20 and set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert ready[0] == 200 and ready[1]["model_version"] == "test-0"
    assert "failed verification (checksum)" in ready[1]["detail"] and str(tmp_path) not in ready[1]["detail"]
    assert 'botlens_degraded{component="model"} 1.0' in degraded


def test_hup_with_a_broken_keys_file_keeps_the_service_and_its_keys(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    key, record = mint("pipeline", 10**6)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([asdict(record)], indent=1))
    env = {"BOTLENS_AUTH_ENABLED": "true", "BOTLENS_API_KEYS_FILE": str(keys)}
    with servers.gunicorn(small_model, public_key, tmp_path, env=env) as (base, server):
        assert servers.post(f"{base}/v1/score", BODY, {"X-API-Key": key})[0] == 200
        keys.write_text(keys.read_text()[:40])  # what `head -c 200 keys.json > k && mv k keys.json` leaves
        server.send_signal(signal.SIGHUP)
        ready = _until(lambda: (r := _get(f"{base}/health/ready"))[1].get("detail") and r)
        answers = [servers.post(f"{base}/v1/score", BODY, {"X-API-Key": key})[0] for _ in range(6)]
        anonymous = servers.post(f"{base}/v1/score", BODY)[0]
        failures = _metric(base, "botlens_reload_failures_total")
        assert server.poll() is None
    assert ready[0] == 200 and "keys file unreadable" in ready[1]["detail"]
    assert answers == [200] * 6 and anonymous == 401
    assert 'component="keys"' in failures


def test_keys_file_changes_take_effect_without_a_hup(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    first, first_record = mint("first", 10**6)
    second, second_record = mint("second", 10**6)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([asdict(first_record)]))
    env = {"BOTLENS_AUTH_ENABLED": "true", "BOTLENS_API_KEYS_FILE": str(keys)}
    with servers.gunicorn(small_model, public_key, tmp_path, env=env) as (base, _):
        assert servers.post(f"{base}/v1/score", BODY, {"X-API-Key": second})[0] == 401
        # Revoke the first key and add the second: every worker looks at the file at most a second apart.
        keys.write_text(json.dumps([{**asdict(first_record), "revoked": True}, asdict(second_record)]))
        time.sleep(KEYS_CHECK_SECONDS + 0.2)
        added = [servers.post(f"{base}/v1/score", BODY, {"X-API-Key": second})[0] for _ in range(8)]
        revoked = [servers.post(f"{base}/v1/score", BODY, {"X-API-Key": first})[0] for _ in range(8)]
    assert added == [200] * 8 and revoked == [403] * 8


def test_start_with_an_unverifiable_model_stays_live_and_unready(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    model, card = live_copy(small_model, tmp_path / "live")
    card.write_text("[]")
    with servers.gunicorn((model, card), public_key, tmp_path, ready=False) as (base, server):
        ready = _get(f"{base}/health/ready")
        score = servers.post(f"{base}/v1/score", BODY)
        assert server.poll() is None
    assert ready[0] == 503 and "(signature-invalid)" in ready[1]["detail"]
    assert score[0] == 503 and score[1]["type"].endswith("model-not-loaded")
