"""Record types for one account and its posts, and their construction from request-shaped mappings.

Request-shaped mappings are what the HTTP API accepts and what the dataset adapters produce, so the
same conversion serves training and serving.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator, Mapping, overload

import numpy as np

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
    return epoch_seconds(dt)


def epoch_seconds(dt: datetime) -> float:
    """UTC epoch seconds of a datetime; a naive one is read as UTC."""
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)).timestamp()


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


def _timestamps(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=np.float64)
    for index, value in enumerate(values):
        if value is None:
            raise InvalidRecordError("post created_at is required", field=f"{index}.created_at")
        if type(value) is float:
            # Schema-loaded requests already carry epoch seconds.
            out[index] = value
            continue
        try:
            out[index] = parse_timestamp(value)
        except InvalidRecordError as exc:
            raise InvalidRecordError(str(exc), field=f"{index}.created_at") from exc
    if not np.isfinite(out).all():
        index = int(np.flatnonzero(~np.isfinite(out))[0])
        raise InvalidRecordError("not a finite timestamp", field=f"{index}.created_at")
    return out


def _flags(values: Sequence[Any]) -> np.ndarray:
    return np.fromiter(map(bool, values), dtype=bool, count=len(values))


def _langs(values: list[str | None]) -> list[str | None]:
    # Few distinct tags per timeline: normalise each once.
    table = {value: normalise_lang(value) for value in set(values)}
    return [table[value] for value in values]


@dataclass(frozen=True, slots=True, eq=False)
class Timeline(Sequence[Post]):
    """The posts of one account held as columns, one entry per post, in the order supplied.

    Feature extraction works on columns (numpy arrays and lists), so serving never builds one object
    per post; indexing still yields :class:`Post` records for code that wants them.
    """

    created_at: np.ndarray
    id: list[str | None]
    text: list[str | None]
    source: list[str | None]
    lang: list[str | None]
    is_retweet: np.ndarray
    is_reply: np.ndarray
    is_quote: np.ndarray
    hashtags: list[Sequence[str]]
    mentions: list[Sequence[str]]
    urls: list[Sequence[str]]
    retweet_count: list[int | None]
    like_count: list[int | None]
    reply_count: list[int | None]

    @classmethod
    def build(cls, created_at: Sequence[float] | np.ndarray, *, id: list[str | None], text: list[str | None],
              source: list[str | None], lang: list[str | None], is_retweet: Sequence[Any], is_reply: Sequence[Any],
              is_quote: Sequence[Any], hashtags: list[Sequence[str] | None], mentions: list[Sequence[str] | None],
              urls: list[Sequence[str] | None], retweet_count: list[int | None], like_count: list[int | None],
              reply_count: list[int | None]) -> "Timeline":
        """Assembles a timeline from raw columns: languages normalised, None flags false, None lists empty."""
        return cls(
            created_at=np.asarray(created_at, dtype=np.float64),
            id=id, text=text, source=source, lang=_langs(lang),
            # None reads as False, as in Post.
            is_retweet=_flags(is_retweet), is_reply=_flags(is_reply), is_quote=_flags(is_quote),
            hashtags=[x or () for x in hashtags], mentions=[x or () for x in mentions], urls=[x or () for x in urls],
            retweet_count=retweet_count, like_count=like_count, reply_count=reply_count,
        )

    @classmethod
    def from_mappings(cls, items: Sequence[Mapping[str, Any]]) -> "Timeline":
        """Builds a timeline from request-shaped post mappings (timestamps as text or epoch seconds).

        Raises:
            InvalidRecordError: a ``created_at`` is missing or unreadable (the field names the post's index).
        """
        def column(name: str) -> list[Any]:
            return [item.get(name) for item in items]

        ids = [None if value is None else str(value) for value in column("id")]
        return cls.build(
            _timestamps(column("created_at")), id=ids, text=column("text"), source=column("source"),
            lang=column("lang"), is_retweet=column("is_retweet"), is_reply=column("is_reply"),
            is_quote=column("is_quote"), hashtags=column("hashtags"), mentions=column("mentions"),
            urls=column("urls"), retweet_count=column("retweet_count"), like_count=column("like_count"),
            reply_count=column("reply_count"),
        )

    @classmethod
    def from_posts(cls, posts: Sequence[Post]) -> "Timeline":
        """Columns of already built :class:`Post` records (training code splices and truncates those)."""
        if isinstance(posts, Timeline):
            return posts
        return cls(
            created_at=np.fromiter((p.created_at for p in posts), dtype=np.float64, count=len(posts)),
            id=[p.id for p in posts], text=[p.text for p in posts], source=[p.source for p in posts],
            lang=[p.lang for p in posts],
            is_retweet=np.fromiter((p.is_retweet for p in posts), dtype=bool, count=len(posts)),
            is_reply=np.fromiter((p.is_reply for p in posts), dtype=bool, count=len(posts)),
            is_quote=np.fromiter((p.is_quote for p in posts), dtype=bool, count=len(posts)),
            hashtags=[p.hashtags for p in posts], mentions=[p.mentions for p in posts], urls=[p.urls for p in posts],
            retweet_count=[p.retweet_count for p in posts], like_count=[p.like_count for p in posts],
            reply_count=[p.reply_count for p in posts],
        )

    def __len__(self) -> int:
        return int(self.created_at.size)

    @overload
    def __getitem__(self, index: int) -> Post: ...

    @overload
    def __getitem__(self, index: slice) -> list[Post]: ...

    def __getitem__(self, index: int | slice) -> Post | list[Post]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        i = range(len(self))[index]
        return Post(
            created_at=float(self.created_at[i]), id=self.id[i], text=self.text[i], source=self.source[i],
            lang=self.lang[i], is_retweet=bool(self.is_retweet[i]), is_reply=bool(self.is_reply[i]),
            is_quote=bool(self.is_quote[i]), hashtags=tuple(self.hashtags[i]), mentions=tuple(self.mentions[i]),
            urls=tuple(self.urls[i]), retweet_count=self.retweet_count[i], like_count=self.like_count[i],
            reply_count=self.reply_count[i],
        )

    def __iter__(self) -> Iterator[Post]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


def posts_from_mappings(items: Sequence[Mapping[str, Any]]) -> Timeline:
    """Builds the posts of a request from request-shaped mappings, naming the index of the first bad one."""
    try:
        return Timeline.from_mappings(items)
    except InvalidRecordError as exc:
        raise InvalidRecordError(str(exc), field=f"posts.{exc.field}") from exc
