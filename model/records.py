"""Record types for one account and its posts, and their construction from request-shaped mappings.

Request-shaped mappings are what the HTTP API accepts and what the dataset adapters produce, so the
same conversion serves training and serving.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from model.errors import InvalidRecordError

# Legacy or platform-specific language codes mapped to ISO 639-1.
_LANG_ALIASES = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "zh-cn": "zh", "zh-tw": "zh"}
_UNKNOWN_LANGS = {"", "und", "unk", "unknown", "xx", "zxx", "qme", "qht", "qst", "qam", "qct"}


def parse_timestamp(value: str | datetime | float | int) -> float:
    """Parses an RFC 3339 timestamp (or a datetime, or epoch seconds) into UTC epoch seconds.

    Args:
        value: RFC 3339 text such as ``2020-01-02T03:04:05Z`` or ``...+03:00``; naive text is read as UTC.

    Returns:
        Seconds since the Unix epoch, UTC.

    Raises:
        InvalidRecordError: the value is not a timestamp.
    """
    if isinstance(value, bool):
        raise InvalidRecordError("not a timestamp")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise InvalidRecordError("not a finite timestamp")
        return float(value)
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) < 10 or len(text) > 40:
            raise InvalidRecordError("not an RFC 3339 timestamp")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidRecordError("not an RFC 3339 timestamp") from exc
    else:
        raise InvalidRecordError("not a timestamp")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def format_timestamp(epoch: float) -> str:
    """Formats UTC epoch seconds as RFC 3339 with a ``Z`` suffix."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def normalise_lang(value: str | None) -> str | None:
    """Maps a language tag such as ``en-GB``, ``in`` or ``und`` to a primary ISO 639-1 code or None."""
    if value is None:
        return None
    tag = value.strip().lower().replace("_", "-")
    if tag in _UNKNOWN_LANGS:
        return None
    if tag in _LANG_ALIASES:
        return _LANG_ALIASES[tag]
    primary = tag.split("-", 1)[0]
    primary = _LANG_ALIASES.get(primary, primary)
    return primary or None


@dataclass(frozen=True, slots=True)
class Account:
    """Profile metadata of one account; None means the client did not say."""

    id: str
    platform: str = "twitter"
    screen_name: str | None = None
    name: str | None = None
    description: str | None = None
    location: str | None = None
    url: str | None = None
    lang: str | None = None
    created_at: float | None = None
    followers_count: int | None = None
    friends_count: int | None = None
    statuses_count: int | None = None
    favourites_count: int | None = None
    listed_count: int | None = None
    verified: bool | None = None
    default_profile: bool | None = None
    default_profile_image: bool | None = None
    protected: bool | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """One post of the account's recent activity; ``created_at`` is UTC epoch seconds."""

    created_at: float
    id: str | None = None
    text: str | None = None
    source: str | None = None
    lang: str | None = None
    is_retweet: bool = False
    is_reply: bool = False
    is_quote: bool = False
    hashtags: tuple[str, ...] = field(default_factory=tuple)
    mentions: tuple[str, ...] = field(default_factory=tuple)
    urls: tuple[str, ...] = field(default_factory=tuple)
    retweet_count: int | None = None
    like_count: int | None = None
    reply_count: int | None = None


_ACCOUNT_STR = ("screen_name", "name", "description", "location", "url")
_ACCOUNT_INT = ("followers_count", "friends_count", "statuses_count", "favourites_count", "listed_count")
_ACCOUNT_BOOL = ("verified", "default_profile", "default_profile_image", "protected")


def account_from_mapping(data: Mapping[str, Any]) -> Account:
    """Builds an :class:`Account` from a request-shaped mapping (already schema-checked or adapter-made).

    Raises:
        InvalidRecordError: ``id`` is missing or ``created_at`` is not a timestamp.
    """
    account_id = data.get("id")
    if account_id is None or str(account_id) == "":
        raise InvalidRecordError("account id is required", field="account.id")
    created = data.get("created_at")
    try:
        created_at = None if created is None else parse_timestamp(created)
    except InvalidRecordError as exc:
        raise InvalidRecordError(str(exc), field="account.created_at") from exc
    kwargs: dict[str, Any] = {name: data.get(name) for name in _ACCOUNT_STR + _ACCOUNT_INT + _ACCOUNT_BOOL}
    return Account(
        id=str(account_id),
        platform=str(data.get("platform") or "twitter"),
        lang=normalise_lang(data.get("lang")),
        created_at=created_at,
        **kwargs,
    )


def post_from_mapping(data: Mapping[str, Any]) -> Post:
    """Builds a :class:`Post` from a request-shaped mapping.

    Raises:
        InvalidRecordError: ``created_at`` is missing or not a timestamp.
    """
    created = data.get("created_at")
    if created is None:
        raise InvalidRecordError("post created_at is required", field="created_at")
    try:
        created_at = parse_timestamp(created)
    except InvalidRecordError as exc:
        raise InvalidRecordError(str(exc), field="created_at") from exc
    post_id = data.get("id")
    return Post(
        created_at=created_at,
        id=None if post_id is None else str(post_id),
        text=data.get("text"),
        source=data.get("source"),
        lang=normalise_lang(data.get("lang")),
        is_retweet=bool(data.get("is_retweet") or False),
        is_reply=bool(data.get("is_reply") or False),
        is_quote=bool(data.get("is_quote") or False),
        hashtags=tuple(data.get("hashtags") or ()),
        mentions=tuple(data.get("mentions") or ()),
        urls=tuple(data.get("urls") or ()),
        retweet_count=data.get("retweet_count"),
        like_count=data.get("like_count"),
        reply_count=data.get("reply_count"),
    )


def posts_from_mappings(items: Sequence[Mapping[str, Any]]) -> list[Post]:
    """Builds posts from request-shaped mappings, naming the index of the first bad one."""
    posts = []
    for index, item in enumerate(items):
        try:
            posts.append(post_from_mapping(item))
        except InvalidRecordError as exc:
            raise InvalidRecordError(str(exc), field=f"posts.{index}.{exc.field}") from exc
    return posts
