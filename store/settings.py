"""Where the store lives and how it keeps results: one set of settings for the service and the CLI.

The service reads them from its configuration (``STORE_*`` keys, ``BOTLENS_STORE_*`` variables), the
``botlens`` commands from the same variables, so both act on the same database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.database import sqlite_url

ENV_PREFIX = "BOTLENS_"
# Each setting and its configuration key.
KEYS = {
    "enabled": "STORE_ENABLED",
    "url": "STORE_URL",
    "folder": "STORE_DIR",
    "retention_days": "STORE_RETENTION_DAYS",
    "max_pending": "STORE_MAX_PENDING",
}
SQLITE_FILE = "botlens.sqlite3"
# The data folder, relative to the directory an instance (or a `botlens` command) starts in.
DEFAULT_FOLDER = "botlens-data"


@dataclass(frozen=True)
class StoreSettings:
    """The store's settings.

    Attributes:
        enabled: Keep every scored result (``STORE_ENABLED``).
        url: ``postgresql://user:pass@host/db``, or None for the embedded SQLite file (``STORE_URL``).
        folder: The instance's data folder (``STORE_DIR``): the embedded store and the workers' journals
            of acknowledged results; None = ``botlens-data`` in the directory the instance starts in.
        retention_days: Results older than this are deleted by ``botlens store prune`` (0 = keep all).
        max_pending: Results a worker may hold unwritten before it refuses more (each says it was not stored).
    """

    enabled: bool = True
    url: str | None = None
    folder: str | None = None
    retention_days: float = 0
    max_pending: int = 50_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StoreSettings:
        """The settings from configuration keys (a Flask config, say); absent keys keep their defaults."""
        values = {name: config[key] for name, key in KEYS.items() if key in config}
        return cls(**values)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> StoreSettings:
        """The settings from ``BOTLENS_STORE_*`` variables, read as the service reads them (JSON where it parses)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, key in KEYS.items():
            text = environ.get(ENV_PREFIX + key)
            if text is not None:
                try:
                    values[name] = json.loads(text)
                except ValueError:
                    values[name] = text
        return cls.from_config({KEYS[name]: value for name, value in values.items()})

    def directory(self) -> Path:
        """The instance's data folder: ``folder``, else ``botlens-data`` in the working directory.

        Never a per-user folder: two instances started in two directories keep two stores, and a store
        holds what its own instance scored.
        """
        return Path(self.folder or DEFAULT_FOLDER).absolute()

    def database_url(self) -> str:
        """``url``, else the embedded SQLite file in :meth:`directory`."""
        return str(self.url or sqlite_url(self.directory() / SQLITE_FILE))


DEFAULTS = StoreSettings()
