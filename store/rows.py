"""Rows to and from the store: what a scored result keeps, and how a stored one is shown."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from model.records import format_timestamp
from model.results import reasons

# Reasons kept per head: what an extension's badge or an analyst's list shows at a glance.
REASONS_PER_HEAD = 3


def utc(epoch: float) -> datetime:
    """Naive UTC datetime of an epoch (the store's time type)."""
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def epoch(moment: datetime) -> float:
    """Epoch seconds of a naive UTC datetime."""
    return moment.replace(tzinfo=UTC).timestamp()


def result_row(
    screen_name: str | None, result: Mapping[str, Any], scored_at: float, key_id: str | None = None
) -> dict[str, Any]:
    """The columns kept of one scored result (a ``model.results.result`` object): no text, no bio.

    Args:
        screen_name: The account's handle as sent, if any.
        result: The response object of the scored account.
        scored_at: When it was scored (epoch seconds).
        key_id: The id of the API key that sent it (None when keys are off, or from the CLI).
    """
    return {
        "result_key": uuid.uuid4().hex,
        "key_id": key_id,
        "platform": result["platform"],
        "account_id": result["account_id"],
        "screen_name": screen_name,
        "screen_name_key": screen_name.lower() if screen_name else None,
        "model_version": result["model_version"],
        # Responses give times in one form, 2020-01-02T03:04:05Z, which fromisoformat reads fast.
        "observed_at": datetime.fromisoformat(result["observed_at"]).replace(tzinfo=None),
        "scored_at": utc(scored_at),
        "n_posts": int(result.get("n_posts", 0)),
        "label": result["label"],
        "scores": dict(result["scores"]),
        "reasons": reasons(result, REASONS_PER_HEAD),
        "bot_type": (result.get("bot_types") or {}).get("leading"),
        "bot_types": (result.get("bot_types") or {}).get("scores"),
    }


@dataclass(frozen=True, slots=True)
class StoredResult:
    """A stored result as the lookup routes return it."""

    id: int
    platform: str
    account_id: str
    screen_name: str | None
    model_version: str
    observed_at: datetime
    scored_at: datetime
    n_posts: int
    label: str
    scores: dict[str, float]
    reasons: dict[str, list[str]]
    bot_type: str | None = None
    bot_types: dict[str, float] | None = None
    key_id: str | None = None

    def to_json(self, with_key: bool = False) -> dict[str, Any]:
        """The response object (timestamps as RFC 3339 UTC seconds); ``with_key`` adds the sending key's id."""
        body = {
            "platform": self.platform,
            "account_id": self.account_id,
            "screen_name": self.screen_name,
            "model_version": self.model_version,
            "observed_at": format_timestamp(epoch(self.observed_at)),
            "scored_at": format_timestamp(epoch(self.scored_at)),
            "n_posts": self.n_posts,
            "label": self.label,
            "scores": self.scores,
            "reasons": self.reasons,
            "bot_type": self.bot_type,
            "bot_types": self.bot_types,
        }
        if with_key:
            body["key_id"] = self.key_id
        return body
