"""Write-behind: scored results are journaled and queued by the request, and written in batches by one
thread per process."""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from model.errors import StoreUnavailable
from store import journal
from store.database import Store
from store.journal import Journal
from store.rows import result_row

log = logging.getLogger(__name__)

# What a request hands over: the handle as sent and the response object, per scored account.
Entry = tuple[str | None, Mapping[str, Any]]
# Told when results are not stored: a reason ("down", "full", "journal") and how many results.
Unsaved = Callable[[str, int], None]
# Rows replayed from a dead worker's journal per transaction.
REPLAY_BATCH = 1000


class WriteBehind:
    """Queues results off the request path; a daemon thread writes them in batches, at most one per ``interval``.

    With a journal folder, a result is in its worker's journal (``store.journal``) before ``submit``
    returns True: a worker killed before the thread wrote it leaves it for the next worker to replay.
    While the database fails, the batch in hand is kept and retried, and new results are refused
    (``submit`` returns False, so the response can say so) until a retry succeeds; when more than
    ``max_pending`` results wait, new ones are refused the same way.
    """

    def __init__(
        self,
        store: Store,
        *,
        journal_dir: Path | None = None,
        max_pending: int = 50_000,
        batch_size: int = 1000,
        interval: float = 0.25,
        retry_seconds: float = 5.0,
        up: bool = True,
        on_unsaved: Unsaved | None = None,
        on_written: Callable[[int], None] | None = None,
        after_write: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.store = store
        self.journal_dir = journal_dir
        self.max_pending = max_pending
        self.batch_size = batch_size
        self.interval = interval
        self.retry_seconds = retry_seconds
        self.on_unsaved = on_unsaved
        self.on_written = on_written
        self.after_write = after_write
        self.up = up
        self._queue: queue.SimpleQueue[tuple[list[dict[str, Any]], int]] = queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._journal: Journal | None = None

    @property
    def pending(self) -> int:
        """Results accepted and not yet written."""
        return self._pending

    def submit(self, entries: Sequence[Entry], scored_at: float, key_id: str | None = None) -> bool:
        """Journals and queues results; False (and nothing kept) when the store is down, too far behind, or the
        journal cannot be written."""
        if not entries:
            return True
        self._ensure_thread()
        count = len(entries)
        with self._lock:
            reason = "down" if not self.up else "full" if self._pending + count > self.max_pending else None
            if reason is None:
                self._pending += count
        if reason is None:
            rows = [result_row(name, result, scored_at, key_id) for name, result in entries]
            try:
                seq = self._journal.append(rows) if self._journal is not None else 0
            except OSError as exc:
                log.error("journal unwritable, %d results not kept: %s", count, exc)
                self._settle(count)
                reason = "journal"
            else:
                self._queue.put((rows, seq))
                return True
        if self.on_unsaved:
            self.on_unsaved(reason, count)
        return False

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

    def close(self, timeout: float = 10.0) -> bool:
        """At a worker's exit: writes what it holds (waiting at most ``timeout``), then closes its journal.

        Returns:
            Whether everything was written; what was not stays in the journal for the next worker to replay.
        """
        done = self.flush(timeout)
        if self._journal is not None and self._pid == os.getpid():
            self._journal.close()
        if not done:
            log.warning("%d results left in the journal for the next worker to write", self._pending)
        return done

    def _ensure_thread(self) -> None:
        # Started on first use and again in a forked child, where the parent's thread does not exist.
        if self._thread is None or self._pid != os.getpid():
            with self._lock:
                if self._thread is None or self._pid != os.getpid():
                    self._pid = os.getpid()
                    if self.journal_dir is not None:
                        self._journal = Journal(self.journal_dir)
                    self._thread = threading.Thread(target=self._run, name="botlens-store-writer", daemon=True)
                    self._thread.start()

    def start(self) -> None:
        """Starts the writer now (it also starts on the first result): it replays what dead workers left in
        the journal, and retries a store that is down."""
        self._ensure_thread()

    def _settle(self, count: int) -> None:
        with self._idle:
            self._pending -= count
            if not self._pending:
                self._idle.notify_all()

    def _take(self) -> list[tuple[list[dict[str, Any]], int]]:
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

    def _write(self, rows: list[dict[str, Any]]) -> None:
        """Writes rows, retrying while the store is down; then tells ``after_write`` (the labeler)."""
        while True:
            try:
                self.store.write(rows)
                break
            except StoreUnavailable as exc:
                log.error("score store write failed, %d results held for a retry: %s", len(rows), exc)
                self.up = False
                time.sleep(self.retry_seconds)
                self._recover()
        if self.after_write is not None:
            try:
                self.after_write(rows)
            except Exception:
                # The results are stored; what follows from them (labels) is caught up by the next sync.
                log.exception("after writing %d results", len(rows))

    def replay(self) -> int:
        """Writes what dead workers left in the journal folder; returns how many rows it found."""
        if self.journal_dir is None:
            return 0
        found = 0
        for path in journal.orphans(self.journal_dir):
            rows = journal.read(path)
            for start in range(0, len(rows), REPLAY_BATCH):
                self._write(rows[start : start + REPLAY_BATCH])
            path.unlink(missing_ok=True)
            found += len(rows)
            log.info("replayed %d results a stopped worker had not written (%s)", len(rows), path.name)
        return found

    def _run(self) -> None:
        self._recover()
        self.replay()
        while True:
            taken = self._take()
            rows = [row for batch, _ in taken for row in batch]
            self._write(rows)
            if self._journal is not None:
                self._journal.written(max(seq for _, seq in taken))
            if self.on_written:
                self.on_written(len(rows))
            self._settle(len(rows))
            # One transaction per interval at most: under load, a transaction (and a wake-up of this
            # thread, which competes with the requests for the interpreter) per result cost 11% of
            # the throughput; a result waits at most this long before lookups find it.
            time.sleep(self.interval)
