"""The native request, declared once: every field's name, kind, limit, default and description.

The records :class:`Account` and :class:`Post` are the declaration: each attribute is declared with
its request field (:func:`declare`), and the marshmallow schemas and msgspec decoders
(``model.validation``), the timeline columns (``model.records``), the limits (:class:`Limits`, and
through it the service's ``MAX_*`` settings) and the OpenAPI document are derived from them; tests
check each copy field by field. Adding an account field is one attribute here plus the code that
uses it; a post field adds its timeline column in ``model.records``.

Timestamps are RFC 3339 date-times with an offset, read by one parser (msgspec's, in C) wherever a
client's time enters: ``2020-01-02T03:04:05Z``, ``...05.123+03:00``, ``t``/``z`` in lower case or a
space between date and time, any number of fraction digits (rounded to the microsecond); an offset
written ``+0300`` is read too. Dates alone, week dates, basic forms (``20200102T030405Z``), times
without seconds and naive times are refused. Accepted times lie between :data:`MIN_TIMESTAMP` and
one day (:data:`SKEW_SECONDS`) after the server clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
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


def declare(
    kind: Kind,
    description: str,
    limit: str | None = None,
    *,
    required: bool = False,
    default: Any = None,
    nullable: bool = True,
    fixed_length: int | None = None,
) -> Any:
    """A record attribute declared as a request field: the dataclass field and its :class:`FieldSpec` in one.

    The record's own default follows the field's: absent means ``default`` (``None`` = not known), and
    a list kind holds an empty tuple. A required field has no default.
    """
    spec = {
        "kind": kind,
        "description": description,
        "limit": limit,
        "required": required,
        "default": default,
        "nullable": nullable,
        "fixed_length": fixed_length,
    }
    metadata = {"contract": spec}
    if required:
        return field(metadata=metadata)
    if kind is Kind.STRINGS:
        return field(default_factory=tuple, metadata=metadata)
    return field(default=default, metadata=metadata)


def _string(description: str, limit: str = "string_length") -> Any:
    return declare(Kind.STRING, description, limit)


def _count(description: str) -> Any:
    return declare(Kind.COUNT, description)


def _flag(description: str, default: bool | None = None) -> Any:
    return declare(Kind.FLAG, description, default=default)


def _ref(description: str) -> Any:
    return declare(Kind.REF, description)


@dataclass(frozen=True, slots=True)
class Account:
    """Profile metadata of one account, as a request declares it; None means the client did not say."""

    id: str = declare(Kind.ID, "Platform account id.", "string_length", required=True, nullable=False)
    platform: str = declare(
        Kind.ID, "Platform name, default twitter.", default="twitter", nullable=False, fixed_length=PLATFORM_LENGTH
    )
    screen_name: str | None = _string("Handle without @.")
    name: str | None = _string("Display name.")
    description: str | None = _string("Profile bio.", "text_length")
    location: str | None = _string("Free-text location.")
    url: str | None = _string("Profile link.")
    lang: str | None = declare(Kind.LANG, "Short language code (en, en-gb, in ...).", fixed_length=LANG_LENGTH)
    # Epoch seconds, UTC, in the record.
    created_at: float | None = declare(Kind.TIMESTAMP, "Account creation time, RFC 3339.")
    followers_count: int | None = _count("Followers.")
    friends_count: int | None = _count("Accounts followed.")
    statuses_count: int | None = _count("Lifetime posts.")
    favourites_count: int | None = _count("Likes given.")
    listed_count: int | None = _count("Lists the account is on.")
    verified: bool | None = _flag("Verified by the platform.")
    default_profile: bool | None = _flag("Profile theme never changed.")
    default_profile_image: bool | None = _flag("Profile picture never set.")
    protected: bool | None = _flag("Posts visible to approved followers only.")
    declared_bot: bool | None = _flag(
        "The account declares itself automated (Mastodon's bot flag, a platform's automated label)."
    )


@dataclass(frozen=True, slots=True)
class Ref:
    """Another post, by id and/or author (handle or account id); at least one is known."""

    id: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """One post of the account's recent activity, as a request declares it; ``created_at`` is UTC epoch seconds."""

    created_at: float = declare(Kind.TIMESTAMP, "Post time, RFC 3339.", required=True, nullable=False)
    id: str | None = _string("Post id.")
    text: str | None = _string("Post text.", "text_length")
    source: str | None = _string("Posting client, e.g. Twitter Web App.")
    lang: str | None = declare(Kind.LANG, "Short language code.", fixed_length=LANG_LENGTH)
    is_retweet: bool = _flag("A repost of another post.", default=False)
    is_reply: bool = _flag("A reply to another post.", default=False)
    is_quote: bool = _flag("Quotes another post.", default=False)
    hashtags: tuple[str, ...] = declare(Kind.STRINGS, "Hashtags without #.", "list_length")
    mentions: tuple[str, ...] = declare(Kind.STRINGS, "Mentioned handles.", "list_length")
    urls: tuple[str, ...] = declare(Kind.STRINGS, "Linked URLs (expanded where known).", "list_length")
    retweet_count: int | None = _count("Reposts received.")
    like_count: int | None = _count("Likes received.")
    reply_count: int | None = _count("Replies received.")
    retweet_of: Ref | None = _ref("The post this one reposts: its id and/or author. Implies is_retweet.")
    quote_of: Ref | None = _ref("The post this one quotes: its id and/or author. Implies is_quote.")
    reply_to: Ref | None = _ref("The post this one replies to: its id and/or author. Implies is_reply.")


def specs_of(record: type) -> tuple[FieldSpec, ...]:
    """The request fields a record class declares, in its order."""
    return tuple(FieldSpec(f.name, **f.metadata["contract"]) for f in fields(record))


ACCOUNT_FIELDS: tuple[FieldSpec, ...] = specs_of(Account)
POST_FIELDS: tuple[FieldSpec, ...] = specs_of(Post)
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
