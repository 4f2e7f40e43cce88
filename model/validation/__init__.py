"""Validation of native requests and platform payloads, derived from the contract (``model.contract``).

Two validators are built from the same declarations for one set of :class:`~model.contract.Limits`:
the marshmallow schemas (``schemas``), the arbiter that names every bad field, and a msgspec decoder
(``fast``), the fast road for well-formed bodies. :class:`Validator` is what the HTTP views, the CLI
and Spark validate with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
from marshmallow import Schema

from model import platforms
from model.contract import DEFAULT_LIMITS, Limits
from model.errors import InvalidRecordError, MalformedInputError, RequestValidationError
from model.records import ScoringInput, prepare
from model.validation.fast import FastDecoder, NotFast
from model.validation.schemas import AccountSlot, BoundedList, flatten_messages, load, make_request_schemas

__all__ = [
    "AccountSlot",
    "BoundedList",
    "FastDecoder",
    "NotFast",
    "Validator",
    "flatten_messages",
    "load",
    "make_request_schemas",
    "parse_json",
]


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
