"""The one path from raw request bodies to result slots, shared by the HTTP views and the batch CLI."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import msgspec
import orjson
from marshmallow import Schema, ValidationError

from api.errors import (
    MalformedJSON,
    RequestValidationError,
    flatten_messages,
    problem_for_exception,
)
from api.fastpath import FastPath, NotFast
from model import platforms
from model.errors import InvalidRecordError
from model.records import format_timestamp
from model.scoring import Scorer, ScoringInput, prepare

# Accounts validated and scored together in a batch: enough rows to amortise the model calls.
SCORE_CHUNK = 32


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
        raise RequestValidationError(flatten_messages(exc.messages)) from exc


def parse_json(raw: bytes | msgspec.Raw) -> Any:
    """JSON bytes parsed with orjson.

    Raises:
        MalformedJSON: not valid JSON.
    """
    try:
        return orjson.loads(memoryview(raw))
    except orjson.JSONDecodeError as exc:
        raise MalformedJSON(f"The body is not valid JSON: {exc}") from exc


def validate(schema: Schema, fmt: str, raw: Any, now: float, fast: FastPath | None = None) -> ScoringInput:
    """One body (native or platform payload) validated and prepared for scoring.

    Args:
        raw: Parsed JSON, or undecoded JSON bytes (which a native request decodes fastest from).
        fast: The msgspec fast path (``api.fastpath``); bodies it cannot vouch for go to ``schema``.

    Raises:
        MalformedJSON: undecoded bytes that are not JSON.
        RequestValidationError: the body does not match the schema.
        InvalidRecordError: a platform payload or record cannot be read.
    """
    if isinstance(raw, (bytes, msgspec.Raw)):
        if fast is not None and fmt == "native":
            try:
                return fast.decode(raw, now)
            except NotFast:
                pass
        raw = parse_json(raw)
    native = platforms.to_native(fmt, raw)
    if fast is not None:
        try:
            return fast.convert(native, now)
        except NotFast:
            pass
    return prepare(load(schema, native), now=now)


def result(scorer: Scorer, item: ScoringInput, scored: Mapping[str, Any]) -> dict[str, Any]:
    """The response object of one scored account."""
    return {
        "account_id": item.account.id,
        "platform": item.account.platform,
        "model_version": scorer.version,
        "observed_at": format_timestamp(item.as_of),
        **scored,
    }


def score_slots(scorer: Scorer, schema: Schema, fmt: str, raws: Sequence[Any], now: float, top_k: int,
                on_scored: Callable[[list[dict[str, Any]]], None] | None = None,
                fast: FastPath | None = None) -> list[dict[str, Any]]:
    """Scores bodies (parsed or undecoded JSON); each slot holds the result or a problem naming the item's index."""
    slots: list[Any] = [None] * len(raws)
    # A chunk at a time: the decoded timelines of one chunk are dropped before the next is decoded, so
    # the live set (and the garbage collector's work) stays small however large the batch.
    for start in range(0, len(raws), SCORE_CHUNK):
        valid: list[tuple[int, ScoringInput]] = []
        for index in range(start, min(start + SCORE_CHUNK, len(raws))):
            try:
                valid.append((index, validate(schema, fmt, raws[index], now, fast)))
            except (MalformedJSON, RequestValidationError, InvalidRecordError) as exc:
                body = problem_for_exception(exc)
                body["detail"] = f"Account {index}: {body['detail']}"
                slots[index] = body
        scored = scorer.score([item for _, item in valid], top_k=top_k)
        if on_scored:
            on_scored(scored)
        for (index, item), s in zip(valid, scored):
            slots[index] = result(scorer, item, s)
    return slots
