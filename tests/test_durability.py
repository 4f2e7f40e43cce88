"""What the store keeps against a real gunicorn: every acknowledged result over SIGTERM, a HUP reload and
SIGKILL; deletions that hold under concurrent scoring; a hung PostgreSQL that neither hangs nor kills a
worker's results (the promise in SECURITY.md)."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from api.storage import NOT_STORED
from store import Store
from store.database import sqlite_url
from store.settings import SQLITE_FILE
from store.tables import Result
from tests import servers, synthetic

pytestmark = pytest.mark.skipif(not servers.GUNICORN.exists(), reason="gunicorn not installed")
CLIENTS = 8


def _body(account_id: str) -> bytes:
    body = synthetic.human(1, np.random.default_rng(7), 30)
    body["account"] = {**body["account"], "id": account_id, "screen_name": f"u{account_id}"}
    return json.dumps(body).encode()


class Load:
    """Clients scoring accounts of their own, one id per request, recording which were acknowledged."""

    def __init__(self, base: str, ids: Callable[[int, int], str] | None = None) -> None:
        self.url = f"{base}/v1/score"
        self.ids = ids or (lambda client, n: f"{client}-{n}")
        self.acknowledged: dict[str, float] = {}  # id -> when the response arrived
        self.refused = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(c,)) for c in range(CLIENTS)]

    def _run(self, client: int) -> None:
        n = 0
        while not self.stop.is_set():
            account = self.ids(client, n)
            n += 1
            try:
                status, result, _ = servers.post(self.url, _body(account))
            except OSError:
                time.sleep(0.02)  # the server is stopping or restarting: this one was never acknowledged
                continue
            with self._lock:
                if status == 200 and NOT_STORED not in result.get("warnings", []):
                    self.acknowledged[account] = time.time()
                else:
                    self.refused += 1

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def wait_for(self, count: int, seconds: float = 30) -> None:
        deadline = time.time() + seconds
        while len(self.acknowledged) < count and time.time() < deadline:
            time.sleep(0.05)
        assert len(self.acknowledged) >= count, f"only {len(self.acknowledged)} acknowledged"


def _stored_ids(url: str) -> set[str]:
    store = Store(url)
    try:
        with store.engine.connect() as connection:
            return set(connection.execute(select(Result.account_id)).scalars())
    finally:
        store.dispose()


@pytest.fixture()
def instance(small_model: tuple[Path, Path], public_key: Path, tmp_path: Path) -> Iterator[Any]:
    """Starts gunicorn instances (2 workers) on one data folder; yields a starter."""

    def start(**env: str) -> Any:
        environment = {"BOTLENS_STORE_DIR": str(tmp_path / "data"), **env}
        return servers.gunicorn(small_model, public_key, tmp_path, env=environment, log=tmp_path / "gunicorn.log")

    start.url = sqlite_url(tmp_path / "data" / SQLITE_FILE)  # type: ignore[attr-defined]
    start.log = tmp_path / "gunicorn.log"  # type: ignore[attr-defined]
    yield start


def _lost(url: str, load: Load) -> list[str]:
    stored = _stored_ids(url)
    return sorted(set(load.acknowledged) - stored)


def test_durability_sigterm_under_load_loses_no_acknowledged_result(instance: Any) -> None:
    with instance() as (base, server), Load(base) as load:
        load.wait_for(300)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
    assert _lost(instance.url, load) == [], f"of {len(load.acknowledged)} acknowledged"


def test_durability_hup_reload_under_load_loses_no_acknowledged_result(instance: Any) -> None:
    with instance() as (base, server), Load(base) as load:
        load.wait_for(300)
        before = servers.children(server.pid)
        server.send_signal(signal.SIGHUP)
        deadline = time.time() + 30
        while time.time() < deadline and set(servers.children(server.pid)) & set(before):
            time.sleep(0.1)
        assert not set(servers.children(server.pid)) & set(before), "the old workers did not stop"
        # The replaced workers wrote what they held as they stopped: it is there while the new ones serve
        # (the new ones write what they acknowledge within a fraction of a second).
        taken, snapshot = time.time(), dict(load.acknowledged)
        stored = _stored_ids(instance.url)
        load.wait_for(len(snapshot) + 100)
    missing = [account for account, at in snapshot.items() if at < taken - 1.0 and account not in stored]
    assert len(snapshot) > 300 and missing == []
    assert _lost(instance.url, load) == [], f"of {len(load.acknowledged)} acknowledged"


def test_durability_sigkill_of_workers_and_of_the_instance_loses_nothing_acknowledged(instance: Any) -> None:
    with instance() as (base, server), Load(base) as load:
        load.wait_for(200)
        worker = servers.children(server.pid)[0]
        os.kill(worker, signal.SIGKILL)  # gunicorn starts another, which replays the dead one's journal
        load.wait_for(len(load.acknowledged) + 300)
        for pid in [server.pid, *servers.children(server.pid)]:
            os.kill(pid, signal.SIGKILL)
        server.wait(timeout=10)
    journals = list((instance.log.parent / "data" / "pending").glob("*.journal"))
    with instance() as (base, _):
        # The next start replays what the killed instance's workers had not written.
        deadline = time.time() + 30
        while time.time() < deadline and _lost(instance.url, load):
            time.sleep(0.2)
    assert _lost(instance.url, load) == [], f"of {len(load.acknowledged)} acknowledged"
    assert journals, "the kill left no journal: nothing was tested beyond the database"


def test_durability_delete_under_concurrent_scoring_holds_in_30_of_30(instance: Any) -> None:
    current = ["d0"]
    deletions: list[tuple[str, float, int]] = []
    with instance() as (base, server), Load(base, ids=lambda _client, _n: current[0]) as load:
        for trial in range(30):
            account = current[0] = f"d{trial}"
            deadline = time.time() + 10
            while account not in load.acknowledged and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(0.1)  # a few more acknowledged, most of them still queued in the workers
            sent = time.time()
            request = urllib.request.Request(f"{base}/v1/accounts/twitter/{account}", method="DELETE")
            try:
                with urllib.request.urlopen(request, timeout=20) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code  # 404: nothing written yet (what the workers hold is dropped all the same)
            deletions.append((account, sent, status))
            time.sleep(0.05)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert {status for *_, status in deletions} <= {200, 404}
    store = Store(instance.url)
    kept_before = {}
    for account, sent, _ in deletions:
        history = store.results("twitter", account, history=True) if account in _stored_ids(instance.url) else []
        kept_before[account] = [r.scored_at.timestamp() for r in history if r.scored_at.timestamp() < sent]
    store.dispose()
    assert sum(1 for rows in kept_before.values() if not rows) == 30, kept_before


def test_durability_hung_postgresql_fails_requests_cleanly_and_keeps_the_queue(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    with servers.postgres() as database:
        environment = {"BOTLENS_STORE_URL": database.url, "BOTLENS_STORE_DIR": str(tmp_path / "data")}
        log = tmp_path / "gunicorn.log"
        with servers.gunicorn(small_model, public_key, tmp_path, env=environment, log=log) as (base, server):
            with Load(base) as load:
                load.wait_for(100)
                workers = servers.children(server.pid)
                with database.hung():
                    hung_at = len(load.acknowledged)
                    started = time.monotonic()
                    status, problem, _ = servers.post(
                        f"{base}/v1/feedback",
                        json.dumps({"platform": "twitter", "account_id": "0-1", "label": "bot"}).encode(),
                        timeout=60,
                    )
                    waited = time.monotonic() - started
                    load.wait_for(hung_at + 100)  # scoring goes on: results wait in the journal
                    assert servers.children(server.pid) == workers  # no worker was killed for a hung request
                    os.kill(workers[0], signal.SIGKILL)  # and one that dies keeps its results in the journal
                    time.sleep(1)
                load.wait_for(len(load.acknowledged) + 50)
            deadline = time.time() + 60
            while time.time() < deadline and _lost(database.url, load):
                time.sleep(0.5)
        assert (status, problem["status"]) == (503, 503), problem
        assert waited < 15
        assert _lost(database.url, load) == [], f"of {len(load.acknowledged)} acknowledged"
