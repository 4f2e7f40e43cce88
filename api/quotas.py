"""Quota counters that every worker of one instance shares: a ``limits`` storage on a SQLite file.

flask-limiter's ``memory://`` storage counts in each process, so with two gunicorn workers a key got
up to twice its quota and ``X-RateLimit-Remaining`` jumped between the workers' counts. This storage
keeps the moving window in one SQLite file (WAL, one ``BEGIN IMMEDIATE`` transaction per check), so
the workers of an instance count together exactly. Several instances share counters through Redis.

URI: ``sqlite:///absolute/path/quotas.sqlite``. Importing this module registers the scheme.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import MovingWindowSupport, Storage

SCHEME = "sqlite"
# How long a writer waits for another worker's transaction (they last well under a millisecond).
BUSY_SECONDS = 5.0
# How long after its acquisition a request's own view of the window stands in for a fresh read.
FRESH_SECONDS = 1.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS quota_events (key TEXT NOT NULL, at REAL NOT NULL, amount INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS quota_events_key_at ON quota_events (key, at);
CREATE TABLE IF NOT EXISTS quota_counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires REAL NOT NULL);
"""


def uri_for(folder: str | os.PathLike[str]) -> str:
    """The storage URI of the quota file in ``folder``."""
    return f"{SCHEME}://{Path(folder).resolve() / 'quotas.sqlite'}"


class SQLiteStorage(Storage, MovingWindowSupport):
    """Moving-window (and fixed-window) quota counters in a SQLite file shared between processes."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1]
        self._local = threading.local()
        # executescript commits on its own; the statements are idempotent, so workers may race here.
        self._connection().executescript(_SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per process and thread: a connection must not cross a fork or be shared by threads.
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")
            return self.db

        def __exit__(self, kind: object, *_: object) -> None:
            self.db.execute("ROLLBACK" if kind else "COMMIT")

    def _transaction(self) -> SQLiteStorage._Tx:
        return self._Tx(self._connection())

    # ---- moving window ------------------------------------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Takes ``amount`` entries if the window ending now holds at most ``limit - amount``."""
        self._local.acquired = None
        if amount > limit:
            return False
        now = time.time()
        with self._transaction() as db:
            db.execute("DELETE FROM quota_events WHERE key = ? AND at < ?", (key, now - expiry))
            oldest, used = db.execute(
                "SELECT MIN(at), COALESCE(SUM(amount), 0) FROM quota_events WHERE key = ?", (key,)
            ).fetchone()
            if used + amount > limit:
                return False
            db.execute("INSERT INTO quota_events (key, at, amount) VALUES (?, ?, ?)", (key, now, amount))
        # The window as this acquisition left it, for the same request's headers (see get_moving_window).
        self._local.acquired = (key, now if oldest is None else oldest, used + amount, now)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The oldest entry's time in the window ending now and the entries the window holds.

        Right after this thread acquired entries for ``key`` it answers with the window as that
        acquisition left it: read again, other workers' requests in between would make the
        ``X-RateLimit-Remaining`` of concurrent responses repeat or skip values.
        """
        acquired = getattr(self._local, "acquired", None)
        self._local.acquired = None
        now = time.time()
        if acquired is not None and acquired[0] == key and now - acquired[3] < FRESH_SECONDS:
            return float(acquired[1]), int(acquired[2])
        row = (
            self._connection()
            .execute(
                "SELECT MIN(at), COALESCE(SUM(amount), 0) FROM quota_events WHERE key = ? AND at >= ?",
                (key, now - expiry),
            )
            .fetchone()
        )
        return (row[0] if row[0] is not None else now), int(row[1])

    # ---- fixed window and housekeeping --------------------------------------------------------------------

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Adds ``amount`` to a counter that expires ``expiry`` seconds after it was created."""
        now = time.time()
        with self._transaction() as db:
            db.execute("DELETE FROM quota_counters WHERE key = ? AND expires <= ?", (key, now))
            db.execute(
                "INSERT INTO quota_counters (key, value, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
                (key, amount, now + expiry),
            )
            (value,) = db.execute("SELECT value FROM quota_counters WHERE key = ?", (key,)).fetchone()
            return int(value)

    def get(self, key: str) -> int:
        """The counter's value (0 once expired)."""
        row = (
            self._connection()
            .execute("SELECT value FROM quota_counters WHERE key = ? AND expires > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When the counter expires (now if there is none)."""
        row = self._connection().execute("SELECT expires FROM quota_counters WHERE key = ?", (key,)).fetchone()
        return float(row[0]) if row else time.time()

    def check(self) -> bool:
        """Whether the file answers."""
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Clears every counter and window."""
        with self._transaction() as db:
            removed = (
                db.execute("DELETE FROM quota_events").rowcount + db.execute("DELETE FROM quota_counters").rowcount
            )
        return int(removed)

    def clear(self, key: str) -> None:
        """Clears one key's counter and window."""
        with self._transaction() as db:
            db.execute("DELETE FROM quota_events WHERE key = ?", (key,))
            db.execute("DELETE FROM quota_counters WHERE key = ?", (key,))
