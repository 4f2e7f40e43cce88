"""The native request, declared once: every field's name, kind, limit, default and description.

The marshmallow schemas and msgspec decoders (``model.validation``), the records and timeline columns
(``model.records``), the limits (:class:`Limits`, and through it the service's ``MAX_*`` settings)
and the OpenAPI document are derived from these declarations; tests check each copy field by field.
Adding a request field is one :class:`FieldSpec` here plus the code that uses it.

Timestamps are RFC 3339 date-times with an offset, read by one parser (msgspec's, in C) wherever a
client's time enters: ``2020-01-02T03:04:05Z``, ``...05.123+03:00``, ``t``/``z`` in lower case or a
space between date and time, any number of fraction digits (rounded to the microsecond); an offset
written ``+0300`` is read too. Dates alone, week dates, basic forms (``20200102T030405Z``), times
without seconds and naive times are refused. Accepted times lie between :data:`MIN_TIMESTAMP` and
one day (:data:`SKEW_SECONDS`) after the server clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import msgspec

from model.errors import InvalidRecordError

INT64_MAX = 2**63 - 1
# Nothing any supported platform published predates 2006 (Twitter's launch year).
MIN_TIMESTAMP = 1136073600.0  # 2006-01-01T00:00:00Z
# Clock skew tolerated for a timestamp after the server clock.
SKEW_SECONDS = 86400.0
LANG_LENGTH = 35
PLATFORM_LENGTH = 64
# A timezone-aware datetime as msgspec parses it: RFC 3339 with a required offset.
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]


@dataclass(frozen=True, slots=True)
class Limits:
    """Input limits; each is a service setting ``MAX_<NAME>`` and enforced with a 4xx naming the field."""

    posts: int = 1000
    batch: int = 1000
    text_length: int = 10_000
    string_length: int = 1_000
    list_length: int = 200
    # Accounts per coordination request (POST /v1/coordination).
    coordination_accounts: int = 5000

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """The limits from ``MAX_<NAME>`` keys (a Flask config, say); absent keys keep their defaults."""
        return cls(
            **{f.name: int(settings[setting_name(f.name)]) for f in fields(cls) if setting_name(f.name) in settings}
        )


DEFAULT_LIMITS = Limits()


def setting_name(limit: str) -> str:
    """The service setting that holds a limit, e.g. ``posts`` -> ``MAX_POSTS``."""
    return f"MAX_{limit.upper()}"


class Kind(Enum):
    """What a field holds; each kind maps to one marshmallow field, one msgspec type and one record type."""

    ID = "id"  # non-empty string up to the field's limit
    STRING = "string"  # string up to the field's limit
    LANG = "lang"  # language tag up to LANG_LENGTH characters, normalised to ISO 639-1
    COUNT = "count"  # integer 0..INT64_MAX
    FLAG = "flag"  # JSON true or false
    TIMESTAMP = "timestamp"  # RFC 3339 text, held as UTC epoch seconds
    STRINGS = "strings"  # list of strings (each up to string_length), up to the field's limit items
    REF = "ref"  # {"id": string, "author": string}, each up to string_length, either optional but one present


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One request field.

    Attributes:
        name: JSON name, also the record attribute and timeline column.
        kind: What it holds.
        description: One line for the spec and the docs.
        limit: The :class:`Limits` attribute bounding it (length or items), if any.
        fixed_length: A bound that no setting changes (language tags, platform names).
        required: Absent is an error.
        default: The value when absent (``None`` = not known).
        nullable: ``null`` is accepted (and means not known).
    """

    name: str
    kind: Kind
    description: str
    limit: str | None = None
    required: bool = False
    default: Any = None
    nullable: bool = True
    fixed_length: int | None = None

    def max_length(self, limits: Limits) -> int | None:
        """The bound on this field's length (characters, or items for a list) under ``limits``."""
        if self.fixed_length is not None:
            return self.fixed_length
        return None if self.limit is None else int(getattr(limits, self.limit))


def _string(name: str, description: str, limit: str = "string_length") -> FieldSpec:
    return FieldSpec(name, Kind.STRING, description, limit)


def _count(name: str, description: str) -> FieldSpec:
    return FieldSpec(name, Kind.COUNT, description)


def _flag(name: str, description: str, default: bool | None = None) -> FieldSpec:
    return FieldSpec(name, Kind.FLAG, description, default=default)


ACCOUNT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", Kind.ID, "Platform account id.", "string_length", required=True, nullable=False),
    FieldSpec(
        "platform",
        Kind.ID,
        "Platform name, default twitter.",
        default="twitter",
        nullable=False,
        fixed_length=PLATFORM_LENGTH,
    ),
    _string("screen_name", "Handle without @."),
    _string("name", "Display name."),
    _string("description", "Profile bio.", "text_length"),
    _string("location", "Free-text location."),
    _string("url", "Profile link."),
    FieldSpec("lang", Kind.LANG, "Short language code (en, en-gb, in ...).", fixed_length=LANG_LENGTH),
    FieldSpec("created_at", Kind.TIMESTAMP, "Account creation time, RFC 3339."),
    _count("followers_count", "Followers."),
    _count("friends_count", "Accounts followed."),
    _count("statuses_count", "Lifetime posts."),
    _count("favourites_count", "Likes given."),
    _count("listed_count", "Lists the account is on."),
    _flag("verified", "Verified by the platform."),
    _flag("default_profile", "Profile theme never changed."),
    _flag("default_profile_image", "Profile picture never set."),
    _flag("protected", "Posts visible to approved followers only."),
    _flag("declared_bot", "The account declares itself automated (Mastodon's bot flag, a platform's automated label)."),
)

POST_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("created_at", Kind.TIMESTAMP, "Post time, RFC 3339.", required=True, nullable=False),
    _string("id", "Post id."),
    _string("text", "Post text.", "text_length"),
    _string("source", "Posting client, e.g. Twitter Web App."),
    FieldSpec("lang", Kind.LANG, "Short language code.", fixed_length=LANG_LENGTH),
    _flag("is_retweet", "A repost of another post.", default=False),
    _flag("is_reply", "A reply to another post.", default=False),
    _flag("is_quote", "Quotes another post.", default=False),
    FieldSpec("hashtags", Kind.STRINGS, "Hashtags without #.", "list_length"),
    FieldSpec("mentions", Kind.STRINGS, "Mentioned handles.", "list_length"),
    FieldSpec("urls", Kind.STRINGS, "Linked URLs (expanded where known).", "list_length"),
    _count("retweet_count", "Reposts received."),
    _count("like_count", "Likes received."),
    _count("reply_count", "Replies received."),
    FieldSpec("retweet_of", Kind.REF, "The post this one reposts: its id and/or author. Implies is_retweet."),
    FieldSpec("quote_of", Kind.REF, "The post this one quotes: its id and/or author. Implies is_quote."),
    FieldSpec("reply_to", Kind.REF, "The post this one replies to: its id and/or author. Implies is_reply."),
)
# The parts of a reference (Kind.REF), either optional but one present.
REF_PARTS = {"id": "The post's id.", "author": "Its author's handle or account id."}
# Each reference field and the flag it implies.
REF_FLAGS = {"retweet_of": "is_retweet", "quote_of": "is_quote", "reply_to": "is_reply"}

# The request envelope: the account, its posts (0..Limits.posts, any order), the snapshot time.
REQUEST_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("observed_at", Kind.TIMESTAMP, "Snapshot time; default the newest post's time, else now."),
)
POSTS_DESCRIPTION = "0..{limit} posts, any order."

ACCOUNT_NAMES = tuple(f.name for f in ACCOUNT_FIELDS)
POST_NAMES = tuple(f.name for f in POST_FIELDS)


def rfc3339_epoch(value: Any) -> float:
    """UTC epoch seconds of an RFC 3339 date-time text (offsets normalised; no range check).

    Raises:
        InvalidRecordError: the value is not an RFC 3339 date-time with an offset.
    """
    if not isinstance(value, str):
        raise InvalidRecordError(FORM_MESSAGE)
    try:
        return msgspec.convert(value, AwareDatetime).timestamp()
    except msgspec.ValidationError as exc:
        raise InvalidRecordError(FORM_MESSAGE) from exc


def in_time_range(epoch: float, now: float) -> bool:
    """Whether a timestamp lies between 2006-01-01 and one day after ``now`` (the server clock)."""
    return MIN_TIMESTAMP <= epoch <= now + SKEW_SECONDS


def check_timestamp(value: Any, now: float, field: str) -> float:
    """A client's timestamp text as epoch seconds, checked for form and range.

    Raises:
        InvalidRecordError: not RFC 3339, or outside 2006-01-01 .. now + 1 day (names ``field``).
    """
    try:
        epoch = rfc3339_epoch(value)
    except InvalidRecordError as exc:
        raise InvalidRecordError(str(exc), field=field) from exc
    if not in_time_range(epoch, now):
        raise InvalidRecordError(TIME_RANGE_MESSAGE, field=field)
    return epoch


FORM_MESSAGE = "Not an RFC 3339 date-time with an offset, e.g. 2020-01-02T03:04:05Z."
TIME_RANGE_MESSAGE = "Timestamp must be between 2006-01-01 and one day after the server's clock."
