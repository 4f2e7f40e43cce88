"""The model and the API keys a worker serves with, and what it does when a new one is bad.

Operators reload by replacing files: a new artifact and card, then a HUP; a keys file edited in
place. A bad file must never take the service down. Every worker therefore keeps a copy of the last
model and keys it could verify and read in ``STATE_DIR`` (shared by the instance's workers, kept
across HUPs): a worker that finds the configured model failing verification serves the last
verified one, and says so in ``/health/ready``, in the log and in ``botlens_degraded``; a keys file
that stops parsing leaves the keys in force. Keys files are re-read when they change, without a HUP.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import Counter, Gauge

from model.errors import ArtifactError
from model.scoring import Scorer
from model.signing import signature_path
from store.keys import KeyStore

log = logging.getLogger(__name__)

DEGRADED = Gauge(
    "botlens_degraded",
    "1 while a component runs on a fallback (model: last verified model; keys: last readable keys) or not at all.",
    ["component"],
    multiprocess_mode="max",
)
LOAD_FAILURES = Counter("botlens_reload_failures_total", "Model or keys files that failed to load.", ["component"])
# How often a worker looks at the keys file's modification time (a stat call).
KEYS_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class ModelStatus:
    """The model a worker serves, or why it serves none.

    Attributes:
        scorer: The loaded model, or None.
        problem: What went wrong with the configured model (a public reason code), if anything.
        fallback: Whether ``scorer`` is the last verified model instead of the configured one.
    """

    scorer: Scorer | None
    problem: str | None = None
    fallback: bool = False


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    shutil.copyfile(source, temp)
    os.replace(temp, target)


def _remember_model(artifact: Path, card: Path, folder: Path) -> None:
    """Keeps a copy of a verified model in ``folder`` (skipped when that copy is already there)."""
    kept_card = folder / "model_card.json"
    try:
        if kept_card.is_file() and kept_card.read_bytes() == card.read_bytes():
            return
        _copy_atomically(artifact, folder / "model.joblib")
        if signature_path(card).is_file():
            _copy_atomically(signature_path(card), signature_path(kept_card))
        _copy_atomically(card, kept_card)  # last: the card marks the copy complete
    except OSError as exc:
        log.warning("could not keep a copy of the verified model: %s", exc)


def load_model(artifact: str, card: str, public_key: str | None, allow_unsigned: bool, state_dir: Path) -> ModelStatus:
    """The configured model if it verifies, else the last verified one from ``state_dir``, else none."""
    folder = state_dir / "last-verified-model"
    key = Path(public_key) if public_key else None
    try:
        scorer = Scorer.load(Path(artifact), Path(card), public_key=key, allow_unsigned=allow_unsigned)
    except ArtifactError as exc:
        log.error("model not loaded: %s", exc)
        LOAD_FAILURES.labels("model").inc()
        DEGRADED.labels("model").set(1)
        try:
            scorer = Scorer.load(
                folder / "model.joblib", folder / "model_card.json", public_key=key, allow_unsigned=allow_unsigned
            )
        except ArtifactError:
            return ModelStatus(None, exc.reason)
        log.error("serving the last verified model %s instead", scorer.version)
        return ModelStatus(scorer, exc.reason, fallback=True)
    DEGRADED.labels("model").set(0)
    _remember_model(Path(artifact), Path(card), folder)
    log.info("model %s loaded from %s", scorer.version, artifact)
    return ModelStatus(scorer)


class KeySource:
    """The keys in force: inline records plus a keys file, re-read when the file changes.

    A file that cannot be read or parsed leaves the keys in force (at start: the last readable copy in
    ``state_dir``, else no keys, so every key is refused) and is reported in :attr:`problem`.
    """

    def __init__(self, inline: Any, path: str | None, state_dir: Path) -> None:
        self.inline = inline
        self.path = Path(path) if path else None
        self.copy = state_dir / "last-readable-keys.json"
        self.problem: str | None = None
        self._lock = threading.Lock()
        self._checked = time.monotonic()
        self._stamp = self._file_stamp()
        inline_store = KeyStore.from_config(inline, None)  # inline keys are config: an error there is fatal
        try:
            self.keys = self._read()
        except (OSError, ValueError, TypeError) as exc:
            self._failed(exc)
            self.keys = self._from_copy(inline_store)

    def _file_stamp(self) -> tuple[float, int, int] | None:
        if self.path is None:
            return None
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime, stat.st_size, stat.st_ino

    def _read(self) -> KeyStore:
        store = KeyStore.from_config(self.inline, str(self.path) if self.path else None)
        if self.path is not None:
            with contextlib.suppress(OSError):
                _copy_atomically(self.path, self.copy)
        self.problem = None
        DEGRADED.labels("keys").set(0)
        return store

    def _from_copy(self, inline_store: KeyStore) -> KeyStore:
        try:
            records = json.loads(self.copy.read_text())
            store = KeyStore.from_records([*inline_store.records(), *records])
        except (OSError, ValueError, TypeError):
            return inline_store
        log.error("serving the last readable API keys instead")
        return store

    def _failed(self, exc: Exception) -> None:
        log.error("API keys file %s unreadable: %s", self.path, exc)
        LOAD_FAILURES.labels("keys").inc()
        DEGRADED.labels("keys").set(1)
        self.problem = f"keys file unreadable ({type(exc).__name__}); the keys in force are kept"

    def current(self) -> KeyStore:
        """The keys in force, after re-reading the file if it changed since the last look."""
        now = time.monotonic()
        if self.path is None or now - self._checked < KEYS_CHECK_SECONDS:
            return self.keys
        with self._lock:
            self._checked = now
            stamp = self._file_stamp()
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self.keys = self._read()
                    log.info("API keys re-read from %s (%d keys)", self.path, len(self.keys.keys))
                except (OSError, ValueError, TypeError) as exc:
                    self._failed(exc)
        return self.keys
