"""What a view reads from its request: the body within its limits, once, and the worker's resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request

from api import bodies
from model.errors import ModelNotLoadedError, UnsupportedMediaType
from model.scoring import Scorer
from model.validation import Validator, load, parse_json

T = TypeVar("T")
EXTENSION = "botlens"


def service() -> Any:
    """The worker's :class:`api.ServiceState` (the model and the validators)."""
    return current_app.extensions[EXTENSION]


def scorer() -> Scorer:
    """The model in service.

    Raises:
        ModelNotLoadedError: no verified model is loaded.
    """
    found = service().scorer
    if found is None:
        raise ModelNotLoadedError("No model is loaded; see /health/ready.")
    return found


def validator() -> Validator:
    """The worker's validators (built for the configured limits)."""
    found: Validator = service().validator
    return found


def top_k() -> int:
    """Features reported per head (``TOP_FEATURES``)."""
    return int(current_app.config["TOP_FEATURES"])


def raw_body() -> bytes:
    """The request body's bytes, read once per request; 415 unless JSON (identity or gzip), 413 over the limit."""
    if "raw_body" not in g:
        mimetype = request.mimetype or ""
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            raise UnsupportedMediaType("Send the body as application/json.")
        g.raw_body = bodies.read(request, int(current_app.config["MAX_CONTENT_LENGTH"]))
    return g.raw_body


def once_per_request(name: str, make: Callable[[], T]) -> T:
    """``make()``'s value, or the error it raised, worked out once per request and kept in ``g``.

    A refused body is remembered too: the quota's cost and the view both ask, and validating a
    million-element envelope twice doubled the cost of a bad request.
    """
    if name not in g:
        try:
            setattr(g, name, make())
        except Exception as exc:
            setattr(g, name, exc)
    value = g.get(name)
    if isinstance(value, Exception):
        raise value
    return value


def json_body(schema: Any) -> dict[str, Any]:
    """The request body (JSON, within the limits) loaded with a schema, or the 4xx error saying why."""
    return load(schema, parse_json(raw_body()))
