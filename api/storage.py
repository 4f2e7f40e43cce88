"""The score store in the service: one Store and write-behind queue per worker, and the views' helpers."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g

from api import observability
from model.errors import StoreDisabled, StoreUnavailable
from model.records import ScoringInput
from store import Store
from store.settings import StoreSettings
from store.writer import WriteBehind

log = logging.getLogger(__name__)
EXTENSION = "botlens.store"
# The folder, inside the store's folder, of the workers' journals of acknowledged results.
JOURNAL_FOLDER = "pending"
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
    folder = settings.directory()
    folder.mkdir(parents=True, exist_ok=True)
    store = Store(settings.database_url())
    log.info("score store: %s (journal in %s)", store.describe(), folder / JOURNAL_FOLDER)
    up = True
    try:
        store.migrate()
    except StoreUnavailable as exc:
        # Scoring goes on; the writer retries in the background and results say they were not stored.
        log.error("score store unavailable at start: %s", exc)
        up = False
    writer = WriteBehind(
        store,
        journal_dir=folder / JOURNAL_FOLDER,
        max_pending=int(settings.max_pending),
        up=up,
        on_unsaved=lambda reason, n: observability.STORE_UNSAVED.labels(reason).inc(n),
        on_written=observability.STORE_WRITTEN.inc,
    )
    # Started now, not on the first result: it replays what stopped workers left in the journal.
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
    key = g.get("api_key")
    if not found.writer.submit(entries, time.time(), key.id if key is not None else None):
        for result in results:
            result["warnings"] = [*result.get("warnings", ()), NOT_STORED]


def close(app: Flask, timeout: float) -> bool:
    """At a worker's exit: writes what its writer holds, waiting at most ``timeout`` seconds.

    Returns:
        Whether everything was written (what was not stays in the journal, replayed by the next worker).
    """
    found: StoreState | None = app.extensions.get(EXTENSION)
    return True if found is None else found.writer.close(timeout)
