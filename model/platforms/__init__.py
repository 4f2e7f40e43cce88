"""Adapters from platforms' own API payloads to the native request shape.

Each adapter is a pure function ``to_native(payload) -> dict`` that picks the fields the service
understands and ignores the rest; what a platform lacks stays absent (never invented). The result is
then validated exactly like a native request, so every limit applies to it too.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from model.errors import InvalidRecordError
from model.platforms import bluesky, mastodon, twitter_v1, twitter_v2

Adapter = Callable[[Mapping[str, Any]], dict[str, Any]]

ADAPTERS: dict[str, Adapter] = {
    "twitter-v1": twitter_v1.to_native,
    "twitter-v2": twitter_v2.to_native,
    "mastodon": mastodon.to_native,
    "bluesky": bluesky.to_native,
}
FORMATS = ("native", *ADAPTERS)


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
    try:
        return adapter(payload)
    except InvalidRecordError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        # Payloads come from clients: any shape the adapter cannot read is the client's error.
        raise InvalidRecordError(f"not a {fmt} payload the adapter can read ({type(exc).__name__}: {exc})",
                                 field="body") from exc
