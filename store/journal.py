"""A worker's journal of acknowledged results: written before a result is acknowledged, replayed after a crash.

A result answered without the "not stored" warning is in the database or in its worker's journal: the
request appends its rows (one line, one ``write``) before it answers, and the writer drops a segment
once every row in it is in the database. The data reaches the kernel before the response is sent, so
a worker killed with SIGKILL, or killed by gunicorn for a hung request, loses nothing; a power loss or
a kernel crash may lose what the page cache held (there is no fsync on the request path).

Each worker holds an exclusive lock on its open segments. A worker that starts replays every segment
nobody holds (its worker died) into the database; rows carry a ``result_key``, so a segment replayed
after its rows were written stores them once.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

log = logging.getLogger(__name__)
# A segment is closed for appends beyond this size; it is deleted once its rows are all written.
SEGMENT_BYTES = 4 << 20
_TIMES = ("observed_at", "scored_at")


class Journal:
    """One worker's journal: numbered lines in segments it holds locked."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seq = 0
        self._segments: list[tuple[int, Path, IO[bytes]]] = []  # (last seq appended, path, handle)
        self._pid = os.getpid()
        self._open_segment()

    def _open_segment(self) -> None:
        # A name of its own: several writers (apps) of one process may journal into one folder. Locked
        # under a name the replay ignores, then renamed: no other worker can take it for an orphan.
        name = f"{self._pid}-{uuid.uuid4().hex[:12]}-{self._seq}"
        opening = self.folder / f".{name}.opening"
        handle = open(opening, "ab", buffering=0)
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = self.folder / f"{name}.journal"
        os.replace(opening, path)
        self._segments.append((self._seq, path, handle))

    def append(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Writes rows as one line; returns its sequence number (rows are durable against a process kill)."""
        line = orjson.dumps([_encoded(row) for row in rows]) + b"\n"
        with self._lock:
            if os.getpid() != self._pid:  # a forked child: journal into segments of its own
                self._pid, self._segments = os.getpid(), []
                self._open_segment()
            self._seq += 1
            last, path, handle = self._segments[-1]
            handle.write(b"%d " % self._seq + line)
            self._segments[-1] = (self._seq, path, handle)
            if handle.tell() >= SEGMENT_BYTES:
                self._open_segment()
            return self._seq

    def written(self, seq: int) -> None:
        """Every line up to ``seq`` is in the database: drops the segments that hold nothing later."""
        with self._lock:
            keep = []
            for index, (last, path, handle) in enumerate(self._segments):
                current = index == len(self._segments) - 1
                if last <= seq and not current:
                    handle.close()
                    path.unlink(missing_ok=True)
                else:
                    keep.append((last, path, handle))
            self._segments = keep
            last, path, handle = self._segments[-1]
            if last <= seq and handle.tell() > 0:
                # The open segment is all written: start it again empty.
                handle.truncate(0)
                handle.seek(0)

    def close(self) -> None:
        """Closes the segments (they stay on disk if they hold unwritten rows, for a replay)."""
        with self._lock:
            for _, path, handle in self._segments:
                empty = handle.tell() == 0
                handle.close()
                if empty:
                    path.unlink(missing_ok=True)
            self._segments = []


def orphans(folder: Path) -> Iterator[Path]:
    """The segments in ``folder`` no live worker holds, each held locked until the next is asked for (so
    that two workers starting together do not replay one segment at once)."""
    for path in sorted(Path(folder).glob("*.journal")):
        try:
            handle = open(path, "rb")
        except OSError:
            continue  # replayed and removed by another worker meanwhile
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its worker is alive, or another worker is replaying it
            if path.exists():
                yield path


def read(path: Path) -> list[dict[str, Any]]:
    """The rows of a segment (a line cut short by a kill is skipped: its request was never answered)."""
    rows: list[dict[str, Any]] = []
    for line in path.read_bytes().splitlines():
        _, _, body = line.partition(b" ")
        try:
            rows.extend(_decoded(row) for row in orjson.loads(body))
        except orjson.JSONDecodeError:
            log.warning("journal %s: a line cut short was skipped", path.name)
    return rows


def _encoded(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if k in _TIMES and isinstance(v, datetime) else v) for k, v in row.items()}


def _decoded(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (datetime.fromisoformat(v) if k in _TIMES and isinstance(v, str) else v) for k, v in row.items()}
