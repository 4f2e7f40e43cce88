"""The msgspec decoder derived from the contract: the fast road for well-formed native bodies.

It decodes bytes straight into typed structs and a columnar timeline (no dict or record per post),
checking the same types, ranges, lengths and unknown fields as the schemas in C. Whatever it refuses,
or cannot vouch for, raises :class:`NotFast` and goes to the schemas; tests check that the two agree
on generated bodies mutating every declared field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
import numpy as np
from msgspec.structs import astuple

from model.contract import (
    ACCOUNT_FIELDS,
    ACCOUNT_NAMES,
    INT64_MAX,
    MIN_TIMESTAMP,
    POST_FIELDS,
    POST_NAMES,
    REF_PARTS,
    REQUEST_FIELDS,
    SKEW_SECONDS,
    AwareDatetime,
    FieldSpec,
    Kind,
    Limits,
)
from model.records import Account, ScoringInput, Timeline, normalise_lang


class NotFast(Exception):
    """The body is not one the fast path can vouch for; use the schema."""


_Count = Annotated[int, msgspec.Meta(ge=0, le=INT64_MAX)]


def _fast_type(spec: FieldSpec, limits: Limits) -> Any:
    length = spec.max_length(limits)
    if spec.kind in (Kind.ID, Kind.STRING, Kind.LANG):
        low = 1 if spec.kind is Kind.ID else 0
        base: Any = Annotated[str, msgspec.Meta(min_length=low, max_length=length)]
    elif spec.kind is Kind.COUNT:
        base = _Count
    elif spec.kind is Kind.FLAG:
        base = bool
    elif spec.kind is Kind.TIMESTAMP:
        base = AwareDatetime  # parsed in C by the same parser as model.contract.rfc3339_epoch
    elif spec.kind is Kind.STRINGS:
        item = Annotated[str, msgspec.Meta(max_length=limits.string_length)]
        base = Annotated[list[item], msgspec.Meta(max_length=length)]
    elif spec.kind is Kind.REF:
        part = Annotated[str, msgspec.Meta(min_length=1, max_length=limits.string_length)]
        # Parts may be absent (None) but not null, as in the schema.
        base = msgspec.defstruct(
            "FastRef", [(name, part, None) for name in REF_PARTS], forbid_unknown_fields=True, gc=False
        )
    else:
        raise AssertionError(f"no msgspec type for {spec.kind}")
    return base | None if spec.nullable else base


def _struct_field(spec: FieldSpec, limits: Limits) -> tuple[Any, ...]:
    kind = _fast_type(spec, limits)
    if spec.required:
        return (spec.name, kind)
    return (spec.name, kind, spec.default)


def _epochs(stamps: list[datetime]) -> np.ndarray:
    """Epoch seconds of decoded (timezone-aware) datetimes."""
    return np.fromiter(map(datetime.timestamp, stamps), dtype=np.float64, count=len(stamps))


class FastDecoder:
    """msgspec types for one set of :class:`Limits`, and the conversion of decoded structs to scoring inputs."""

    def __init__(self, limits: Limits) -> None:
        # gc=False: the structs hold only strings, numbers and lists of strings (no cycles), so the collector
        # need not track the thousands of them a batch decodes.
        options: dict[str, Any] = {"forbid_unknown_fields": True, "omit_defaults": False, "gc": False}
        account_t = msgspec.defstruct("FastAccount", [_struct_field(s, limits) for s in ACCOUNT_FIELDS], **options)
        # Field order is the contract's: _input transposes posts by position (POST_NAMES).
        post_t = msgspec.defstruct("FastPost", [_struct_field(s, limits) for s in POST_FIELDS], **options)
        self.request_type = msgspec.defstruct(
            "FastRequest",
            [
                ("account", account_t),
                (
                    "posts",
                    Annotated[list[post_t], msgspec.Meta(max_length=limits.posts)],  # type: ignore[valid-type]
                    msgspec.field(default_factory=list),
                ),
                *[_struct_field(s, limits) for s in REQUEST_FIELDS],
            ],
            **options,
        )
        envelope_t = msgspec.defstruct(
            "FastBatch",
            [
                ("accounts", Annotated[list[msgspec.Raw], msgspec.Meta(min_length=1, max_length=limits.batch)]),
            ],
            **options,
        )
        self._decoder = msgspec.json.Decoder(self.request_type)
        self._envelope = msgspec.json.Decoder(envelope_t)
        self._refs = [s.name for s in POST_FIELDS if s.kind is Kind.REF]

    def decode(self, body: bytes | msgspec.Raw, now: float) -> ScoringInput:
        """A native request's JSON bytes, decoded and validated, ready for scoring.

        Raises:
            NotFast: anything the fast path does not accept (including malformed JSON); ask the schema.
        """
        try:
            request = self._decoder.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
            raise NotFast from exc
        return self._input(request, now)

    def convert(self, raw: Any, now: float) -> ScoringInput:
        """The same for an already parsed request (a platform payload turned native, a CLI record).

        Raises:
            NotFast: as for :meth:`decode`.
        """
        try:
            request = msgspec.convert(raw, self.request_type)
        except (msgspec.ValidationError, RecursionError) as exc:
            raise NotFast from exc
        return self._input(request, now)

    def batch(self, body: bytes) -> list[msgspec.Raw]:
        """The items of a batch envelope as undecoded JSON, each to be validated in its own slot.

        Raises:
            NotFast: not a well-formed envelope within the batch limit; ask the schema.
        """
        try:
            items: list[msgspec.Raw] = self._envelope.decode(body).accounts  # type: ignore[attr-defined]
            return items
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError) as exc:
            raise NotFast from exc

    def _input(self, request: Any, now: float) -> ScoringInput:
        def in_range(epochs: np.ndarray) -> np.ndarray:
            if epochs.size and not ((epochs >= MIN_TIMESTAMP) & (epochs <= now + SKEW_SECONDS)).all():
                raise NotFast
            return epochs

        acc = request.account
        values = {name: getattr(acc, name) for name in ACCOUNT_NAMES}
        if acc.created_at is not None:
            values["created_at"] = float(in_range(_epochs([acc.created_at]))[0])
        values["lang"] = normalise_lang(acc.lang)
        account = Account(**values)
        observed = None if request.observed_at is None else float(in_range(_epochs([request.observed_at]))[0])
        # Posts to columns in C: each struct to a tuple of its fields, then transposed.
        columns = (
            dict(zip(POST_NAMES, map(list, zip(*map(astuple, request.posts)))))
            if request.posts
            else {name: [] for name in POST_NAMES}
        )
        for name in self._refs:
            refs = columns[name]
            # Most timelines carry no references: counting them runs in C.
            if refs.count(None) != len(refs) and any(
                ref is not None and ref.id is None and ref.author is None for ref in refs
            ):
                raise NotFast
        times = in_range(_epochs(columns.pop("created_at")))
        return ScoringInput.at(account, Timeline.build(times, **columns), observed, now)
