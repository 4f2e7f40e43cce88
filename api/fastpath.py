"""The fast road for well-formed native requests: msgspec decodes and checks them in C.

Validating a 200-post body with marshmallow costs about 17 ms, more than everything else the service
does per account. msgspec decodes the body's bytes straight into typed structs, checking the same
types, ranges, lengths and unknown fields, and the structs become a :class:`ScoringInput` (account
plus columnar timeline) without an intermediate dict per post. The fast road is at least as strict
as the marshmallow schema: whatever it rejects, or cannot be sure of, raises :class:`NotFast` and is
handed to marshmallow, which accepts it or produces the full per-field error report. So results and
errors are marshmallow's, and only the common case (a valid body) takes the fast road. Tests check
that the two agree on generated bodies.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import msgspec
import numpy as np
from msgspec.structs import astuple

from api.schemas import INT64_MAX, MIN_TIMESTAMP, SKEW_SECONDS, Limits
from model.records import Account, Timeline, epoch_seconds, normalise_lang
from model.scoring import ScoringInput

_Count = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]
_Stamp = Annotated[str, msgspec.Meta(min_length=10, max_length=40)]
_BLANK = re.compile(r"\s")
_ACCOUNT_FIELDS = ("screen_name", "name", "description", "location", "url", "followers_count", "friends_count",
                   "statuses_count", "favourites_count", "listed_count", "verified", "default_profile",
                   "default_profile_image", "protected")
_POST_FIELDS = ("created_at", "id", "text", "source", "lang", "is_retweet", "is_reply", "is_quote", "hashtags",
                "mentions", "urls", "retweet_count", "like_count", "reply_count")


class NotFast(Exception):
    """The body is not one the fast path can vouch for; use the schema."""


def _epochs(stamps: list[str]) -> np.ndarray:
    """Epoch seconds of RFC 3339 texts, as ``model.records.parse_timestamp`` reads them, or NotFast."""
    fromiso = datetime.fromisoformat
    try:
        parsed = [fromiso(s) for s in stamps]
    except ValueError as exc:
        raise NotFast from exc
    # parse_timestamp strips blanks first; fromisoformat refuses them, so padded texts go to the schema.
    # One scan of all the texts first: blanks are rare, and checking each text's ends costs more.
    if _BLANK.search("".join(stamps)) and any(s[0].isspace() or s[-1].isspace() for s in stamps):
        raise NotFast
    return np.fromiter(map(epoch_seconds, parsed), dtype=np.float64, count=len(parsed))


class FastPath:
    """msgspec types for one set of :class:`Limits`, and the conversion of decoded structs to scoring inputs."""

    def __init__(self, limits: Limits) -> None:
        short = Annotated[str, msgspec.Meta(max_length=limits.string_length)]
        text = Annotated[str, msgspec.Meta(max_length=limits.text_length)]
        lang = Annotated[str, msgspec.Meta(max_length=35)]
        strings = Annotated[list[short], msgspec.Meta(max_length=limits.list_length)]
        # gc=False: the structs hold only strings, numbers and lists of strings (no cycles), so the collector
        # need not track the thousands of them a batch decodes.
        options = {"forbid_unknown_fields": True, "omit_defaults": False, "gc": False}
        account_t = msgspec.defstruct("FastAccount", [
            ("id", Annotated[str, msgspec.Meta(min_length=1, max_length=limits.string_length)]),
            ("platform", Annotated[str, msgspec.Meta(min_length=1, max_length=64)], "twitter"),
            ("screen_name", short | None, None), ("name", short | None, None), ("description", text | None, None),
            ("location", short | None, None), ("url", short | None, None), ("lang", lang | None, None),
            ("created_at", _Stamp | None, None),
            *[(n, _Count | None, None) for n in ("followers_count", "friends_count", "statuses_count",
                                                 "favourites_count", "listed_count")],
            *[(n, bool | None, None) for n in ("verified", "default_profile", "default_profile_image", "protected")],
        ], **options)
        # Field order matters: _input transposes posts by position (_POST_FIELDS).
        post_t = msgspec.defstruct("FastPost", [
            ("created_at", _Stamp), ("id", short | None, None), ("text", text | None, None),
            ("source", short | None, None), ("lang", lang | None, None),
            *[(n, bool | None, False) for n in ("is_retweet", "is_reply", "is_quote")],
            *[(n, strings | None, None) for n in ("hashtags", "mentions", "urls")],
            *[(n, _Count | None, None) for n in ("retweet_count", "like_count", "reply_count")],
        ], **options)
        self.request_type = msgspec.defstruct("FastRequest", [
            ("account", account_t),
            ("posts", Annotated[list[post_t], msgspec.Meta(max_length=limits.posts)], msgspec.field(default_factory=list)),
            ("observed_at", _Stamp | None, None),
        ], **options)
        envelope_t = msgspec.defstruct("FastBatch", [
            ("accounts", Annotated[list[msgspec.Raw], msgspec.Meta(min_length=1, max_length=limits.batch)]),
        ], **options)
        if post_t.__struct_fields__ != _POST_FIELDS:
            raise AssertionError("FastPost fields out of step with _POST_FIELDS")
        self._decoder = msgspec.json.Decoder(self.request_type)
        self._envelope = msgspec.json.Decoder(envelope_t)

    def decode(self, body: bytes | msgspec.Raw, now: float) -> ScoringInput:
        """A native request's JSON bytes, decoded and validated, ready for scoring.

        Raises:
            NotFast: anything the fast path does not accept (including malformed JSON); ask the schema.
        """
        try:
            request = self._decoder.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise NotFast from exc
        return self._input(request, now)

    def convert(self, raw: Any, now: float) -> ScoringInput:
        """The same for an already parsed request (a platform payload turned native, a CLI record).

        Raises:
            NotFast: as for :meth:`decode`.
        """
        try:
            request = msgspec.convert(raw, self.request_type)
        except msgspec.ValidationError as exc:
            raise NotFast from exc
        return self._input(request, now)

    def batch(self, body: bytes) -> list[msgspec.Raw]:
        """The items of a batch envelope as undecoded JSON, each to be validated in its own slot.

        Raises:
            NotFast: not a well-formed envelope within the batch limit; ask the schema.
        """
        try:
            return self._envelope.decode(body).accounts
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise NotFast from exc

    @staticmethod
    def _input(request: Any, now: float) -> ScoringInput:
        latest = now + SKEW_SECONDS

        def in_range(epochs: np.ndarray) -> np.ndarray:
            if epochs.size and not ((epochs >= MIN_TIMESTAMP) & (epochs <= latest)).all():
                raise NotFast
            return epochs

        acc = request.account
        created = None if acc.created_at is None else float(in_range(_epochs([acc.created_at]))[0])
        account = Account(id=acc.id, platform=acc.platform, lang=normalise_lang(acc.lang), created_at=created,
                          **{name: getattr(acc, name) for name in _ACCOUNT_FIELDS})
        observed = None if request.observed_at is None else float(in_range(_epochs([request.observed_at]))[0])
        # Posts to columns in C: each struct to a tuple of its fields, then transposed.
        columns = dict(zip(_POST_FIELDS, map(list, zip(*map(astuple, request.posts))))) if request.posts else \
            {name: [] for name in _POST_FIELDS}
        times = in_range(_epochs(columns.pop("created_at")))
        if observed is not None and times.size and times.max() > observed + SKEW_SECONDS:
            raise NotFast
        return ScoringInput.at(account, Timeline.build(times, **columns), observed, now)
