"""Adapters from platforms' own API payloads to the native request shape.

Each adapter is a pure function ``to_native(payload) -> dict`` that picks the fields the service
understands and ignores the rest; what a platform lacks stays absent (never invented). The result is
then validated exactly like a native request, so every limit applies to it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from model.errors import InvalidRecordError, RequestValidationError
from model.platforms import bluesky, mastodon, twitter_v1, twitter_v2

# Each adapter module has to_native(payload), KEYS (its top-level keys), account_root(payload) and
# posts_root(payload) (where the account and the post list sit), PLATFORM (the accounts' platform) and
# ACCOUNT_PATHS / POST_PATHS (the payload field each native field comes from, where the name differs).
ADAPTERS: dict[str, ModuleType] = {
    "twitter-v1": twitter_v1,
    "twitter-v2": twitter_v2,
    "mastodon": mastodon,
    "bluesky": bluesky,
}
FORMATS = ("native", *ADAPTERS)
# The platforms the adapters store accounts under (a native request may name any other).
PLATFORMS = tuple(dict.fromkeys(module.PLATFORM for module in ADAPTERS.values()))
_POST_PATH = re.compile(r"posts\.(\d+)(?:\.(\w+))?(.*)")


def to_native(fmt: str, payload: Any) -> Any:
    """Converts a platform payload to the native request shape (``native`` passes through).

    Raises:
        InvalidRecordError: the payload lacks what the adapter needs or has the wrong shape.
    """
    if fmt == "native":
        return payload
    adapter = ADAPTERS.get(fmt)
    if adapter is None:
        raise InvalidRecordError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", field="format")
    if not isinstance(payload, Mapping):
        raise InvalidRecordError("must be a JSON object", field="body")
    unknown = sorted(str(key) for key in payload if key not in adapter.KEYS)
    if unknown:
        # As in a native request: a misspelt key would otherwise be dropped without a word.
        raise RequestValidationError(
            {key: [f"Unknown field; a {fmt} payload has {', '.join(adapter.KEYS)}."] for key in unknown}
        )
    try:
        return adapter.to_native(payload)
    except InvalidRecordError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        # Payloads come from clients: any shape the adapter cannot read is the client's error.
        raise InvalidRecordError(
            f"not a {fmt} payload the adapter can read ({type(exc).__name__}: {exc})", field="body"
        ) from exc


def payload_path(fmt: str, payload: Mapping[str, Any], path: str) -> str:
    """The payload's own name for a native field path, e.g. twitter-v1 ``account.id`` -> ``user.id_str``."""
    adapter = ADAPTERS.get(fmt)
    if adapter is None or not isinstance(payload, Mapping):
        return path
    if path == "account" or path.startswith("account."):
        field = path.partition(".")[2]
        name = adapter.ACCOUNT_PATHS.get(field, field)
        return ".".join(p for p in (adapter.account_root(payload), name) if p)
    if path == "posts":
        return str(adapter.posts_root(payload))
    match = _POST_PATH.fullmatch(path)
    if match:
        index, field, rest = match.groups()
        name = adapter.POST_PATHS.get(field, field) if field else None
        return ".".join(p for p in (adapter.posts_root(payload), index, name) if p) + rest
    return path


def in_payload_terms(fmt: str, payload: Any, exc: Exception) -> Exception:
    """The same validation error with its field paths named as the payload names them."""
    if isinstance(exc, RequestValidationError):
        errors: dict[str, list[str]] = {}
        for path, messages in exc.errors.items():
            errors.setdefault(payload_path(fmt, payload, path), []).extend(messages)
        return RequestValidationError(errors, exc.detail)
    if isinstance(exc, InvalidRecordError) and exc.field:
        return InvalidRecordError(str(exc), field=payload_path(fmt, payload, exc.field))
    return exc
