"""API key records: salted hashes at rest, constant-time checks, minting (``botlens keys``).

A key looks like ``bl_<id>_<secret>``: the id finds the record, the secret is checked against
``sha256(salt + secret)``. Secrets are 256 random bits, so a fast salted hash is enough (no
password stretching is needed against brute force), and the hash costs microseconds per request.
Records live in a JSON file (``API_KEYS_FILE``) or inline JSON (``API_KEYS``, e.g. from
``BOTLENS_API_KEYS``); no plain key is ever stored.

Mint one: ``botlens keys mint --name my-pipeline --quota 6000 --file keys.json`` (``cli.keys``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from model.errors import AuthenticationRequired, KeyRevoked

PREFIX = "bl"
# Compared against when the key id is unknown, so that unknown and wrong keys take the same time.
_DUMMY_SALT = bytes(16)
_DUMMY_DIGEST = hashlib.sha256(_DUMMY_SALT + b"none").hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One stored key: never the key itself, only its salted hash."""

    id: str
    name: str
    salt: str
    sha256: str
    quota_per_minute: int = 600
    revoked: bool = False
    # Extra powers: "admin" may delete stored data (data-subject requests). Scoring and lookups need none.
    scopes: tuple[str, ...] = ()


def _digest(salt_hex: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt_hex) + secret.encode()).hexdigest()


SCOPES = ("admin",)


def mint(name: str, quota_per_minute: int, scopes: Sequence[str] = ()) -> tuple[str, ApiKey]:
    """Creates a key; returns the plain key (shown once) and the record to store."""
    key_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    record = ApiKey(key_id, name, salt, _digest(salt, secret), quota_per_minute, scopes=tuple(scopes))
    return f"{PREFIX}_{key_id}_{secret}", record


class KeyStore:
    """The keys a service accepts, indexed by id."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self.keys = {k.id: k for k in keys}

    def records(self) -> list[dict[str, Any]]:
        """The stored records, as a keys file holds them."""
        return [{**asdict(k), "scopes": list(k.scopes)} for k in self.keys.values()]

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]]) -> KeyStore:
        """Builds the store from JSON records.

        Raises:
            TypeError: a record is not an object, has unknown fields or lacks required ones.
        """
        if not isinstance(records, list):
            raise TypeError("a keys file holds a JSON array of key records")
        keys = []
        for record in records:
            fields = dict(record)
            scopes = fields.pop("scopes", ())
            if not isinstance(scopes, (list, tuple)) or not all(s in SCOPES for s in scopes):
                raise TypeError(f"scopes must be a list of {', '.join(SCOPES)}")
            keys.append(ApiKey(**fields, scopes=tuple(scopes)))
        return cls(keys)

    @classmethod
    def from_config(cls, inline: Any, path: str | None) -> KeyStore:
        """Keys from inline JSON (a list or its text) and/or a JSON file holding a list."""
        records: list[Mapping[str, Any]] = []
        if inline:
            records.extend(json.loads(inline) if isinstance(inline, str) else inline)
        if path:
            records.extend(json.loads(Path(path).read_text()))
        return cls.from_records(records)

    def verify(self, presented: str | None) -> ApiKey:
        """Returns the key's record.

        Raises:
            AuthenticationRequired: missing, malformed or wrong key.
            KeyRevoked: the key is right but revoked.
        """
        if not presented:
            raise AuthenticationRequired("Send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.")
        parts = presented.strip().split("_", 2)
        key_id, secret = (parts[1], parts[2]) if len(parts) == 3 and parts[0] == PREFIX else ("", presented)
        record = self.keys.get(key_id)
        salt, expected = (record.salt, record.sha256) if record else (_DUMMY_SALT.hex(), _DUMMY_DIGEST)
        matches = hmac.compare_digest(_digest(salt, secret), expected)
        if record is None or not matches:
            raise AuthenticationRequired("The API key is not valid.")
        if record.revoked:
            raise KeyRevoked("The API key has been revoked.")
        return record
