"""The score store in the service: one Store and write-behind queue per worker, and the views' helpers."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from api import observability
from model.errors import StoreDisabled, StoreUnavailable
from model.records import ScoringInput
from store import Store
from store.settings import StoreSettings
from store.writer import WriteBehind

log = logging.getLogger(__name__)
EXTENSION = "botlens.store"
NOT_STORED = "this result was not stored: the score store is unavailable or too far behind; lookups will not find it"


@dataclass
class StoreState:
    """The worker's store and its writer."""

    store: Store
    writer: WriteBehind


def init_app(app: Flask) -> None:
    """Opens (and migrates) the store when STORE_ENABLED; a store that fails stays off until it recovers."""
    settings = StoreSettings.from_config(app.config)
    if not settings.enabled:
        return
    store = Store(settings.database_url())
    up = True
    try:
        store.migrate()
    except StoreUnavailable as exc:
        # Scoring goes on; the writer retries in the background and results say they were not stored.
        log.error("score store unavailable at start: %s", exc)
        up = False
    writer = WriteBehind(
        store,
        max_pending=int(settings.max_pending),
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
