"""Records of one account and its posts (declared in ``model.contract``), their columnar timeline, and
their construction from request-shaped mappings.

Request-shaped mappings are what the HTTP API accepts and what the dataset adapters produce, so the
same conversion serves training and serving; :class:`ScoringInput` is one account ready for scoring.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

import numpy as np

from model.contract import (
    ACCOUNT_FIELDS,
    FORM_MESSAGE,
    POST_FIELDS,
    POST_NAMES,
    REF_FLAGS,
    SKEW_SECONDS,
    Account,
    Kind,
    Post,
    Ref,
    rfc3339_epoch,
)
from model.errors import InvalidRecordError

__all__ = [
    "Account",
    "Post",
    "Ref",
    "ScoringInput",
    "Timeline",
    "account_from_mapping",
    "format_timestamp",
    "normalise_lang",
    "parse_timestamp",
    "posts_from_mappings",
    "prepare",
]

# Legacy or platform-specific language codes mapped to ISO 639-1.
_LANG_ALIASES = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "zh-cn": "zh", "zh-tw": "zh"}
_UNKNOWN_LANGS = {"", "und", "unk", "unknown", "xx", "zxx", "qme", "qht", "qst", "qam", "qct"}


def parse_timestamp(value: str | float) -> float:
    """UTC epoch seconds of a timestamp: RFC 3339 text read by the contract's one parser, or epoch seconds.

    Args:
        value: RFC 3339 text with an offset (``2020-01-02T03:04:05Z``, ``...+03:00``), as every client
            and dataset adapter sends it, or epoch seconds already parsed (schema-loaded requests).

    Raises:
        InvalidRecordError: text that is not an RFC 3339 date-time with an offset, or not a finite number.
    """
    if isinstance(value, bool):
        raise InvalidRecordError(FORM_MESSAGE)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise InvalidRecordError("not a finite timestamp")
        return float(value)
    return rfc3339_epoch(value)


def format_timestamp(epoch: float) -> str:
    """Formats UTC epoch seconds as RFC 3339 to the second with a ``Z`` suffix (fractions are dropped).

    One form for every response: ``2020-01-02T03:04:05Z``, whether the time came from the client, a
    post or the server clock.
    """
    return datetime.fromtimestamp(math.floor(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def _ref(value: Any) -> Ref | None:
    """A reference from a mapping, a decoded struct or a Ref (None stays None)."""
    if value is None or isinstance(value, Ref):
        return value
    if isinstance(value, Mapping):
        return Ref(value.get("id"), value.get("author"))
    return Ref(value.id, value.author)


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
    values: dict[str, Any] = {spec.name: data.get(spec.name, spec.default) for spec in ACCOUNT_FIELDS}
    values.update(
        id=str(account_id),
        platform=str(data.get("platform") or "twitter"),
        lang=normalise_lang(data.get("lang")),
        created_at=created_at,
    )
    return Account(**values)


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

    One column per declared post field (``model.contract.POST_FIELDS``, in that order; a test keeps
    them equal), so the builders below loop over the declaration instead of naming each column.

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
    retweet_of: list[Ref | None]
    quote_of: list[Ref | None]
    reply_to: list[Ref | None]

    @classmethod
    def build(cls, created_at: Sequence[float] | np.ndarray, **columns: list[Any]) -> Timeline:
        """Assembles a timeline from raw columns (one per declared post field but ``created_at``).

        Languages are normalised, None flags read as false and None lists as empty, as in :class:`Post`.
        """
        out: dict[str, Any] = {"created_at": np.asarray(created_at, dtype=np.float64)}
        for spec in POST_FIELDS[1:]:
            values = columns[spec.name]
            if spec.kind is Kind.FLAG:
                out[spec.name] = _flags(values)
            elif spec.kind is Kind.LANG:
                out[spec.name] = _langs(values)
            elif spec.kind is Kind.STRINGS:
                out[spec.name] = [x or () for x in values]
            elif spec.kind is Kind.REF:
                # Most timelines carry no references: skip the per-post work then (a count runs in C).
                out[spec.name] = values if values.count(None) == len(values) else [_ref(x) for x in values]
            else:
                out[spec.name] = values
        for ref, flag in REF_FLAGS.items():
            if out[ref].count(None) != len(out[ref]):
                out[flag] = out[flag] | np.array([x is not None for x in out[ref]], dtype=bool)
        return cls(**out)

    @classmethod
    def from_mappings(cls, items: Sequence[Mapping[str, Any]]) -> Timeline:
        """Builds a timeline from request-shaped post mappings (timestamps as text or epoch seconds).

        Raises:
            InvalidRecordError: a ``created_at`` is missing or unreadable (the field names the post's index).
        """
        columns = {name: [item.get(name) for item in items] for name in POST_NAMES}
        # Dataset adapters may hand over numeric post ids; the contract's ids are strings.
        columns["id"] = [None if value is None else str(value) for value in columns["id"]]
        return cls.build(_timestamps(columns.pop("created_at")), **columns)

    @classmethod
    def from_posts(cls, posts: Sequence[Post]) -> Timeline:
        """Columns of already built :class:`Post` records (training code splices and truncates those)."""
        if isinstance(posts, Timeline):
            return posts
        columns = {name: [getattr(p, name) for p in posts] for name in POST_NAMES}
        return cls.build(columns.pop("created_at"), **columns)

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
        values = {name: getattr(self, name)[i] for name in POST_NAMES}
        values["created_at"] = float(values["created_at"])
        for spec in POST_FIELDS:
            if spec.kind is Kind.FLAG:
                values[spec.name] = bool(values[spec.name])
            elif spec.kind is Kind.STRINGS:
                values[spec.name] = tuple(values[spec.name])
        return Post(**values)

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


@dataclass(frozen=True, slots=True)
class ScoringInput:
    """One account ready for scoring: its profile, its posts as a columnar timeline, the snapshot time."""

    account: Account
    posts: Timeline
    as_of: float
    future_posts: int = 0
    # The observed_at the client sent, when posts newer than it moved the snapshot to the newest post.
    moved_from: float | None = None

    @classmethod
    def at(cls, account: Account, posts: Timeline, observed: float | None, now: float) -> ScoringInput:
        """The input observed at ``observed``, else at the newest post, else at ``now``.

        Posts up to a day after ``observed`` are clock skew: they count as posted at ``observed``.
        Posts later than that mean the profile and the posts come from different crawls (a profile
        seen months before its newest posts): the snapshot becomes the newest post, and the input
        remembers the time it was given (``moved_from``) for the warning.
        """
        times = posts.created_at
        newest = float(times.max()) if times.size else None
        if observed is not None and newest is not None and newest > observed + SKEW_SECONDS:
            return cls(account, posts, newest, 0, moved_from=observed)
        if observed is not None:
            as_of = observed
        elif newest is not None:
            as_of = newest
        else:
            as_of = now
        return cls(account, posts, as_of, int(np.count_nonzero(times > as_of)))


def prepare(request: Mapping[str, Any], now: float) -> ScoringInput:
    """Turns a request-shaped mapping into a :class:`ScoringInput`.

    Args:
        request: ``{"account": {...}, "posts": [...], "observed_at": ...}`` as the API accepts it.
        now: Epoch seconds used as ``observed_at`` when neither it nor any post time is given.

    Raises:
        InvalidRecordError: a required field is missing or a timestamp is unreadable.
    """
    account_data = request.get("account")
    if not isinstance(account_data, Mapping):
        raise InvalidRecordError("account is required", field="account")
    account = account_from_mapping(account_data)
    posts = posts_from_mappings(request.get("posts") or [])
    observed = request.get("observed_at")
    if observed is not None:
        try:
            observed = parse_timestamp(observed)
        except InvalidRecordError as exc:
            raise InvalidRecordError(str(exc), field="observed_at") from exc
    return ScoringInput.at(account, posts, observed, now)
