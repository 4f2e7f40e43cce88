"""The score store in the service: one Store and write-behind queue per worker, and the views' helpers."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from api import observability
from model.scoring import ScoringInput
from store import Store, StoreDisabled, StoreUnavailable
from store.database import sqlite_url
from store.writer import WriteBehind

log = logging.getLogger(__name__)
EXTENSION = "botlens.store"
NOT_STORED = "this result was not stored: the score store is unavailable or too far behind; lookups will not find it"


@dataclass
class StoreState:
    """The worker's store and its writer."""

    store: Store
    writer: WriteBehind


def store_dir(config: Any) -> Path:
    """STORE_DIR, else $XDG_DATA_HOME/botlens, else ~/.local/share/botlens."""
    if config.get("STORE_DIR"):
        return Path(config["STORE_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "botlens"


def store_url(config: Any) -> str:
    """STORE_URL, else the embedded SQLite file in the data folder."""
    return str(config.get("STORE_URL") or sqlite_url(store_dir(config) / "botlens.sqlite3"))


def init_app(app: Flask) -> None:
    """Opens (and migrates) the store when STORE_ENABLED; a store that fails stays off until it recovers."""
    if not app.config["STORE_ENABLED"]:
        return
    store = Store(store_url(app.config))
    up = True
    try:
        store.migrate()
    except StoreUnavailable as exc:
        # Scoring goes on; the writer retries in the background and results say they were not stored.
        log.error("score store unavailable at start: %s", exc)
        up = False
    writer = WriteBehind(
        store,
        max_pending=int(app.config["STORE_MAX_PENDING"]),
        up=up,
        on_unsaved=lambda reason, n: observability.STORE_UNSAVED.labels(reason).inc(n),
        on_written=observability.STORE_WRITTEN.inc,
    )
    if not up:
        writer.start()
    app.extensions[EXTENSION] = StoreState(store, writer)


def state() -> StoreState:
    """The worker's store.

    Raises:
        StoreDisabled: STORE_ENABLED is off.
    """
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        raise StoreDisabled("The score store is disabled on this server (STORE_ENABLED).")
    return found


def keep(items: Sequence[ScoringInput], results: Sequence[dict[str, Any]]) -> None:
    """Queues scored results for the store; each result not accepted gets a warning saying so."""
    found: StoreState | None = current_app.extensions.get(EXTENSION)
    if found is None or not results:
        return
    entries = [(item.account.screen_name, result) for item, result in zip(items, results)]
    if not found.writer.submit(entries, time.time()):
        for result in results:
            result["warnings"] = [*result.get("warnings", ()), NOT_STORED]
