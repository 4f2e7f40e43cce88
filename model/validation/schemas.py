"""The marshmallow schemas of the native request, derived from the contract: the arbiter of every body.

They accept or refuse a body and name every bad field; whatever the fast decoder (``model.validation.fast``)
cannot vouch for comes here, so results and errors are always the schemas'.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from model.contract import (
    ACCOUNT_FIELDS,
    INT64_MAX,
    POST_FIELDS,
    POSTS_DESCRIPTION,
    REF_PARTS,
    REQUEST_FIELDS,
    FieldSpec,
    Kind,
    Limits,
    check_timestamp,
)
from model.errors import InvalidRecordError, RequestValidationError

MAX_REPORTED_ERRORS = 50


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
