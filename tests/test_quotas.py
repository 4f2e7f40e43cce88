"""The SQLite quota storage: a moving window that several processes share exactly."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from api import quotas


def _hits(uri: str, n: int) -> int:
    limiter = MovingWindowRateLimiter(storage_from_string(uri))
    return sum(limiter.hit(parse("25/minute"), "key", cost=1) for _ in range(n))


def test_quota_storage_registered_for_its_scheme(tmp_path: Path) -> None:
    storage = storage_from_string(quotas.uri_for(tmp_path))
    assert isinstance(storage, quotas.SQLiteStorage) and storage.check()
    assert Path(storage.path) == tmp_path / "quotas.sqlite"


def test_quota_moving_window_counts_costs_and_refuses_over_limit(tmp_path: Path) -> None:
    storage = storage_from_string(quotas.uri_for(tmp_path))
    assert storage.acquire_entry("k", 5, 60, amount=3)
    assert storage.get_moving_window("k", 5, 60)[1] == 3
    assert not storage.acquire_entry("k", 5, 60, amount=3)
    assert storage.acquire_entry("k", 5, 60, amount=2)
    assert not storage.acquire_entry("k", 5, 60)
    assert not storage.acquire_entry("other", 5, 60, amount=6)  # more than the limit never fits
    assert storage.get_moving_window("other", 5, 60)[1] == 0
    storage.clear("k")
    assert storage.get_moving_window("k", 5, 60)[1] == 0


def test_quota_window_expires(tmp_path: Path) -> None:
    storage = storage_from_string(quotas.uri_for(tmp_path))
    assert storage.acquire_entry("k", 1, 0)
    assert storage.acquire_entry("k", 1, 0)  # a zero-second window holds nothing from before


def test_quota_fixed_window_counters(tmp_path: Path) -> None:
    storage = storage_from_string(quotas.uri_for(tmp_path))
    assert storage.incr("c", 60) == 1 and storage.incr("c", 60, amount=4) == 5
    assert storage.get("c") == 5 and storage.get_expiry("c") > 0
    assert storage.reset() >= 1 and storage.get("c") == 0


def test_quota_exact_across_processes(tmp_path: Path) -> None:
    uri = quotas.uri_for(tmp_path)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        granted = pool.starmap(_hits, [(uri, 20)] * 4)
    assert sum(granted) == 25
