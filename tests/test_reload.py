"""Swapping the model under load through gunicorn's HUP loses no request."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
import urllib.request
from pathlib import Path

import joblib
import numpy as np
import pytest

from model import signing
from model.scoring import sha256_file
from tests import servers, synthetic


def second_version(small_model: tuple[Path, Path], folder: Path, signing_key: Path) -> tuple[Path, Path]:
    """A signed model test-1: the small model under another version."""
    artifact = joblib.load(small_model[0])
    artifact["version"] = "test-1"
    path, card_path = folder / "next.joblib", folder / "next.json"
    joblib.dump(artifact, path)
    card = json.loads(small_model[1].read_text())
    card["version"], card["artifact"]["sha256"] = "test-1", sha256_file(path)
    card_path.write_text(json.dumps(card))
    signing.sign(card_path, signing_key)
    return path, card_path


def install(artifact: Path, card: Path, model: Path, live_card: Path) -> None:
    """Puts a model in place as an operator does: artifact, signature, then the card."""
    os.replace(artifact, model)
    os.replace(signing.signature_path(card), signing.signature_path(live_card))
    os.replace(card, live_card)


def live_copy(small_model: tuple[Path, Path], folder: Path) -> tuple[Path, Path]:
    """The small model copied to where a service will load it from."""
    folder.mkdir()
    model, card = folder / "model.joblib", folder / "card.json"
    shutil.copy(small_model[0], model)
    shutil.copy(small_model[1], card)
    shutil.copy(signing.signature_path(small_model[1]), signing.signature_path(card))
    return model, card


@pytest.mark.skipif(not servers.GUNICORN.exists(), reason="gunicorn not installed")
def test_reload_under_load_loses_no_request(
    small_model: tuple[Path, Path], public_key: Path, signing_key: Path, tmp_path: Path
) -> None:
    model, card = live_copy(small_model, tmp_path / "live")
    body = json.dumps(synthetic.human(1, np.random.default_rng(1), 50)).encode()
    with servers.gunicorn((model, card), public_key, tmp_path) as (base, server):
        url = f"{base}/v1/score"
        statuses: list[int] = []
        versions: list[str] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                status, result, _ = servers.post(url, body)
                statuses.append(status)
                versions.append(result.get("model_version", ""))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        install(*second_version(small_model, tmp_path, signing_key), model, card)
        server.send_signal(signal.SIGHUP)
        deadline = time.time() + 30
        while time.time() < deadline and (not versions or versions[-1] != "test-1"):
            time.sleep(0.2)
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        # Multiprocess metrics: every worker's requests, the replaced ones' included, in one exposition.
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            metrics = response.read().decode()
    assert len(statuses) > 20
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert "test-0" in versions and versions[-1] == "test-1"
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("botlens_requests_total{") and 'route="/v1/score"' in line and 'status="200"' in line
    )
    assert counted >= len(statuses)
    # Live gauges only: the replaced workers' model_info was dropped by api.server's child_exit hook.
    info = [line for line in metrics.splitlines() if line.startswith("botlens_model_info{")]
    assert info and all('version="test-1"' in line for line in info), info
