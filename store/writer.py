"""Write-behind: scored results are queued by the request and written in batches by one thread per process."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from model.errors import StoreUnavailable
from store.database import Store
from store.rows import result_row

log = logging.getLogger(__name__)

# What a request hands over: the handle as sent and the response object, per scored account.
Entry = tuple[str | None, Mapping[str, Any]]
# Told when results are not stored: a reason ("down", "full") and how many results.
Unsaved = Callable[[str, int], None]


class WriteBehind:
    """Queues results off the request path; a daemon thread writes them in batches, at most one per ``interval``.

    While the database fails, the batch in hand is kept and retried, and new results are refused
    (``submit`` returns False, so the response can say so) until a retry succeeds; when more than
    ``max_pending`` results wait, new ones are refused the same way. Nothing accepted is dropped
    unless the process itself dies.
    """

    def __init__(
        self,
        store: Store,
        *,
        max_pending: int = 50_000,
        batch_size: int = 1000,
        interval: float = 0.25,
        retry_seconds: float = 5.0,
        up: bool = True,
        on_unsaved: Unsaved | None = None,
        on_written: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.max_pending = max_pending
        self.batch_size = batch_size
        self.interval = interval
        self.retry_seconds = retry_seconds
        self.on_unsaved = on_unsaved
        self.on_written = on_written
        self.up = up
        self._queue: queue.SimpleQueue[tuple[Sequence[Entry], float]] = queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._pid = 0

    @property
    def pending(self) -> int:
        """Results accepted and not yet written."""
        return self._pending

    def submit(self, entries: Sequence[Entry], scored_at: float) -> bool:
        """Queues results for writing; False (and nothing queued) when the store is down or too far behind."""
        if not entries:
            return True
        self._ensure_thread()
        count = len(entries)
        with self._lock:
            reason = "down" if not self.up else "full" if self._pending + count > self.max_pending else None
            if reason is None:
                self._pending += count
        if reason is not None:
            if self.on_unsaved:
                self.on_unsaved(reason, count)
            return False
        self._queue.put((entries, scored_at))
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every accepted result is written; False if some still wait after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _ensure_thread(self) -> None:
        # Started on first use and again in a forked child, where the parent's thread does not exist.
        if self._thread is None or self._pid != os.getpid():
            with self._lock:
                if self._thread is None or self._pid != os.getpid():
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._run, name="botlens-store-writer", daemon=True)
                    self._thread.start()

    def start(self) -> None:
        """Starts the writer now (it also starts on the first result); it then retries a store that is down."""
        self._ensure_thread()

    def _take(self) -> list[tuple[Sequence[Entry], float]]:
        taken = [self._queue.get()]
        count = len(taken[0][0])
        while count < self.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            taken.append(item)
            count += len(item[0])
        return taken

    def _recover(self) -> None:
        while not self.up:
            try:
                self.store.migrate()
                self.store.ping()
            except StoreUnavailable as exc:
                log.warning("score store still unavailable: %s", exc)
                time.sleep(self.retry_seconds)
                continue
            log.info("score store available again")
            self.up = True

    def _run(self) -> None:
        self._recover()
        while True:
            taken = self._take()
            rows = [result_row(name, result, scored_at) for entries, scored_at in taken for name, result in entries]
            while True:
                try:
                    self.store.write(rows)
                    break
                except StoreUnavailable as exc:
                    log.error("score store write failed, %d results held for a retry: %s", len(rows), exc)
                    self.up = False
                    time.sleep(self.retry_seconds)
                    self._recover()
            if self.on_written:
                self.on_written(len(rows))
            with self._idle:
                self._pending -= len(rows)
                if not self._pending:
                    self._idle.notify_all()
            # One transaction per interval at most: under load, a transaction (and a wake-up of this
            # thread, which competes with the requests for the interpreter) per result cost 11% of
            # the throughput; a result waits at most this long before lookups find it.
            time.sleep(self.interval)
