"""Validation of native requests, derived from the contract (``model.contract``); used by HTTP, CLI and Spark.

Two validators are built from the same declarations for one set of :class:`Limits`:

- marshmallow schemas, the arbiter: they accept or refuse a body and name every bad field;
- a msgspec decoder, the fast road for well-formed bodies: it decodes bytes straight into typed
  structs and a columnar timeline (no dict or record per post), checking the same types, ranges,
  lengths and unknown fields in C. Whatever it refuses, or cannot vouch for, raises :class:`NotFast`
  and goes to the schema, so results and errors are always the schema's. Tests check that the two
  agree on generated bodies mutating every declared field.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
import numpy as np
import orjson
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from msgspec.structs import astuple

from model import platforms
from model.contract import (
    ACCOUNT_FIELDS,
    ACCOUNT_NAMES,
    DEFAULT_LIMITS,
    INT64_MAX,
    MIN_TIMESTAMP,
    POST_FIELDS,
    POST_NAMES,
    POSTS_DESCRIPTION,
    REQUEST_FIELDS,
    SKEW_SECONDS,
    AwareDatetime,
    FieldSpec,
    Kind,
    Limits,
    check_timestamp,
)
from model.errors import InvalidRecordError, MalformedInputError, RequestValidationError
from model.records import Account, Timeline, normalise_lang
from model.scoring import ScoringInput, prepare

# Field paths reported per refused body; the detail counts the rest, so an error report stays small.
MAX_REPORTED_ERRORS = 50


# ---- marshmallow: the arbiter ----------------------------------------------------------------------------------


class Timestamp(fields.DateTime):
    """RFC 3339 date-time, loaded as UTC epoch seconds, within 2006-01-01 .. server clock + 1 day."""

    # Loads to epoch seconds rather than a datetime: records hold UTC seconds.
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:  # type: ignore[override]
        try:
            return check_timestamp(value, time.time(), attr or "")
        except InvalidRecordError as exc:
            raise ValidationError(str(exc)) from exc


class StrictBoolean(fields.Boolean):
    """JSON true or false only (no 0/1, no strings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


REF_PARTS = {"id": "The post's id.", "author": "Its author's handle or account id."}


class _RefBase(Schema):
    """Another post, by id and/or author (at least one)."""

    @validates_schema
    def _one_present(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data:
            raise ValidationError("Give id, author or both.")


@functools.cache
def _ref_schema(limits: Limits) -> type[Schema]:
    # One class per set of limits: every reference field shares it (and the spec names it once).
    parts = {
        name: fields.String(validate=validate.Length(min=1, max=limits.string_length), metadata={"description": text})
        for name, text in REF_PARTS.items()
    }
    return type("RefSchema", (_RefBase,), {"__doc__": _RefBase.__doc__, **parts})


def schema_field(spec: FieldSpec, limits: Limits) -> fields.Field:
    """The marshmallow field of one declared request field."""
    options: dict[str, Any] = {
        "metadata": {"description": spec.description},
        "required": spec.required,
        "allow_none": spec.nullable,
    }
    if spec.default is not None:
        options["load_default"] = spec.default
    length = spec.max_length(limits)
    if spec.kind in (Kind.ID, Kind.STRING, Kind.LANG):
        low = 1 if spec.kind is Kind.ID else None
        return fields.String(validate=validate.Length(min=low, max=length), **options)
    if spec.kind is Kind.COUNT:
        return fields.Integer(strict=True, validate=validate.Range(min=0, max=INT64_MAX), **options)
    if spec.kind is Kind.FLAG:
        return StrictBoolean(**options)
    if spec.kind is Kind.TIMESTAMP:
        return Timestamp(**options)
    if spec.kind is Kind.STRINGS:
        item = fields.String(validate=validate.Length(max=limits.string_length))
        return BoundedList(item, max_items=int(length or 0), **options)
    if spec.kind is Kind.REF:
        return fields.Nested(_ref_schema(limits), **options)
    raise AssertionError(f"no marshmallow field for {spec.kind}")


def make_request_schemas(limits: Limits) -> tuple[type[Schema], type[Schema], type[Schema]]:
    """The account, score-request and batch-request schemas for the given limits."""
    account = Schema.from_dict({s.name: schema_field(s, limits) for s in ACCOUNT_FIELDS}, name="AccountSchema")
    account.__doc__ = "Profile metadata of one account."
    post = Schema.from_dict({s.name: schema_field(s, limits) for s in POST_FIELDS}, name="PostSchema")
    post.__doc__ = "One post of the account's recent activity."

    request_fields: dict[str, fields.Field] = {
        "account": fields.Nested(account, required=True),
        "posts": BoundedList(
            fields.Nested(post),
            max_items=limits.posts,
            load_default=list,
            metadata={"description": POSTS_DESCRIPTION.format(limit=limits.posts)},
        ),
        **{s.name: schema_field(s, limits) for s in REQUEST_FIELDS},
    }
    request = Schema.from_dict(request_fields, name="ScoreRequestSchema")
    request.__doc__ = "One account and its recent activity."

    class BatchRequestSchema(Schema):
        """Up to the batch limit of score requests, each validated on its own."""

        accounts = BoundedList(
            AccountSlot(),
            max_items=limits.batch,
            min_items=1,
            required=True,
            metadata={"description": f"1..{limits.batch} score requests."},
        )

    return account, request, BatchRequestSchema


class BoundedList(fields.List):
    """A list refused whole, before any item is looked at, when it is longer than its limit.

    marshmallow's own length check runs after every item was deserialised: a 2 MB body holding a
    million one-byte posts cost a worker 47 s, a gigabyte and a 39 MB error report.
    """

    def __init__(self, inner: fields.Field, *, max_items: int, min_items: int | None = None, **kwargs: Any) -> None:
        super().__init__(inner, validate=validate.Length(min=min_items, max=max_items), **kwargs)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, list) and len(value) > self.max_items:
            raise ValidationError(f"Longer than maximum length {self.max_items}.")
        return super()._deserialize(value, attr, data, **kwargs)


class AccountSlot(fields.Field):
    """A batch item: documented as a score request in any format, loaded raw so each is validated in its own slot."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return value


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dict to ``{"posts.3.created_at": ["..."]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "body"
            for sub, msgs in flatten_messages(value, path).items():
                out.setdefault(sub, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for sub, msgs in flatten_messages(item, prefix).items():
                out.setdefault(sub, []).extend(msgs)
    else:
        out[prefix or "body"] = [str(messages)]
    return out


def load(schema: Schema, data: Any) -> dict[str, Any]:
    """Validates a JSON object with a schema.

    Raises:
        RequestValidationError: not an object, or not matching the schema (messages per field path).
    """
    if not isinstance(data, dict):
        raise RequestValidationError({"body": ["Must be a JSON object."]})
    try:
        return schema.load(data)
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
        if len(errors) <= MAX_REPORTED_ERRORS:
            raise RequestValidationError(errors) from exc
        shown = dict(list(errors.items())[:MAX_REPORTED_ERRORS])
        raise RequestValidationError(
            shown,
            f"The request body does not match the schema: {len(errors)} fields have "
            f"errors; the first {MAX_REPORTED_ERRORS} are listed.",
        ) from exc


# ---- msgspec: the fast road --------------------------------------------------------------------------------------


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


# ---- one body, either road ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validator:
    """The schemas and the fast decoder for one set of limits: what every entry point validates with."""

    limits: Limits
    request_schema: Schema
    batch_schema: Schema
    fast: FastDecoder

    @classmethod
    def build(cls, limits: Limits = DEFAULT_LIMITS) -> Validator:
        """Builds both validators (about 10 ms; build once per process)."""
        _, request, batch = make_request_schemas(limits)
        return cls(limits, request(), batch(), FastDecoder(limits))

    def request(self, fmt: str, raw: Any, now: float) -> ScoringInput:
        """One body (native or platform payload) validated and prepared for scoring.

        Args:
            fmt: ``native`` or a platform format (``model.platforms.FORMATS``).
            raw: Parsed JSON, or undecoded JSON bytes (which a native request decodes fastest from).
            now: The server clock, epoch seconds.

        Raises:
            MalformedInputError: undecoded bytes that are not JSON.
            RequestValidationError: the body does not match the contract.
            InvalidRecordError: a platform payload cannot be read.
        """
        refused_fast = False
        if isinstance(raw, (bytes, msgspec.Raw)):
            if fmt == "native":
                try:
                    return self.fast.decode(raw, now)
                except NotFast:
                    refused_fast = True  # the same body parsed would be refused again: go to the schema
            raw = parse_json(raw)
        native = platforms.to_native(fmt, raw)
        if not refused_fast:
            try:
                return self.fast.convert(native, now)
            except NotFast:
                pass
        try:
            return prepare(load(self.request_schema, native), now=now)
        except (RequestValidationError, InvalidRecordError) as exc:
            if fmt == "native":
                raise
            raise platforms.in_payload_terms(fmt, raw, exc) from exc

    def batch(self, raw: bytes) -> list[Any]:
        """A batch body's items: undecoded if the envelope is well formed, else schema-loaded.

        Raises:
            MalformedInputError: not JSON.
            RequestValidationError: not an envelope of 1..``limits.batch`` items.
        """
        try:
            return self.fast.batch(raw)
        except NotFast:
            pass
        try:
            body = parse_json(raw)
        except MalformedInputError:
            # orjson refuses the whole body for one lone surrogate (\ud800) inside one item; Python's own
            # parser reads it, so the envelope can be split and only that item refused, in its slot.
            body = _items_apart(raw)
        accounts: list[Any] = load(self.batch_schema, body)["accounts"]
        return accounts


def _items_apart(raw: bytes) -> Any:
    """A batch body read by the standard library, each item turned back into JSON text of its own.

    Raises:
        MalformedInputError: not JSON even to the standard library.
    """
    import json

    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise MalformedInputError(f"The body is not valid JSON: {exc}") from exc
    if isinstance(body, dict) and isinstance(body.get("accounts"), list):
        # ASCII escapes keep a lone surrogate as the text \ud800: that item fails its own decode later.
        body["accounts"] = [json.dumps(item).encode() for item in body["accounts"]]
    return body


def parse_json(raw: bytes | msgspec.Raw) -> Any:
    """JSON bytes parsed with orjson.

    Raises:
        MalformedInputError: not valid JSON.
    """
    try:
        return orjson.loads(memoryview(raw))
    except orjson.JSONDecodeError as exc:
        raise MalformedInputError(f"The body is not valid JSON: {exc}") from exc
