"""One error envelope (RFC 9457 problem+json) and one table from domain errors to HTTP statuses."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Response
from werkzeug.exceptions import HTTPException

from api.auth import AuthenticationRequired, KeyRevoked, QuotaNeverFits, ScopeRequired
from model.errors import (
    ArtifactError,
    BotlensError,
    InvalidRecordError,
    MalformedInputError,
    ModelNotLoadedError,
    RequestValidationError,
)
from model.validation import flatten_messages
from store import NotStored, StoreDisabled, StoreUnavailable

log = logging.getLogger(__name__)
PROBLEM_MIME = "application/problem+json"


class UnsupportedMediaType(Exception):
    """The body is not JSON."""


# Domain and request errors -> (status, problem slug, title). The one place statuses are chosen.
STATUS_TABLE: dict[type[Exception], tuple[int, str, str]] = {
    MalformedInputError: (400, "malformed-json", "Malformed JSON"),
    AuthenticationRequired: (401, "unauthorized", "Unauthorized"),
    KeyRevoked: (403, "forbidden", "Forbidden"),
    ScopeRequired: (403, "forbidden", "Forbidden"),
    NotStored: (404, "not-stored", "Not Stored"),
    QuotaNeverFits: (429, "too-many-requests", "Too Many Requests"),
    UnsupportedMediaType: (415, "unsupported-media-type", "Unsupported Media Type"),
    RequestValidationError: (422, "validation-error", "Validation Error"),
    InvalidRecordError: (422, "validation-error", "Validation Error"),
    ModelNotLoadedError: (503, "model-not-loaded", "Model Not Loaded"),
    ArtifactError: (503, "model-not-loaded", "Model Not Loaded"),
    StoreDisabled: (503, "store-disabled", "Store Disabled"),
    StoreUnavailable: (503, "store-unavailable", "Store Unavailable"),
}


def problem_type(slug: str) -> str:
    """URI naming a problem type (documented in the README's error table)."""
    return f"urn:botlens:problem:{slug}"


def problem(
    status: int, slug: str, title: str, detail: str, errors: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """A problem details object."""
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = dict(errors)
    return body


def problem_response(body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    """Serialises a problem object with the problem+json media type."""
    return Response(orjson.dumps(body), status=body["status"], mimetype=PROBLEM_MIME, headers=dict(headers or {}))


def problem_for_exception(exc: Exception) -> dict[str, Any]:
    """Maps any exception to a problem object; unknown ones become a 500 that leaks nothing."""
    for cls in type(exc).__mro__:
        if cls in STATUS_TABLE:
            status, slug, title = STATUS_TABLE[cls]
            errors = getattr(exc, "errors", None)
            if isinstance(exc, InvalidRecordError) and exc.field:
                errors = {exc.field: [str(exc)]}
            detail = getattr(exc, "detail", None) or str(exc) or title
            return problem(status, slug, title, detail, errors)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        slug = (exc.name or "error").lower().replace(" ", "-")
        # flask-smorest/webargs put argument errors in exc.data["messages"], keyed by location.
        messages = (getattr(exc, "data", None) or {}).get("messages")
        errors = {k: v for loc in messages.values() for k, v in flatten_messages(loc).items()} if messages else None
        if status == 422:
            return problem(
                status, "validation-error", "Validation Error", "The request does not match the schema.", errors
            )
        return problem(status, slug, exc.name or "Error", exc.description or exc.name or "", errors)
    return problem(
        500, "internal-error", "Internal Server Error", "The server failed to handle the request; it was logged."
    )


def item_problem(exc: Exception, index: int) -> dict[str, Any]:
    """The problem object of one refused batch item: its 0-based ``index`` as a field and in the detail."""
    body = problem_for_exception(exc)
    body["detail"] = f"accounts[{index}] (item {index + 1} of the batch): {body['detail']}"
    body["index"] = index
    return body


def handle_exception(exc: Exception) -> Response:
    """The single error handler registered on the app."""
    body = problem_for_exception(exc)
    if body["status"] >= 500 and not isinstance(exc, (BotlensError, HTTPException)):
        log.exception("unhandled error", exc_info=exc)
    headers = {}
    if isinstance(exc, HTTPException) and exc.code in (405, 429):
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
    if isinstance(exc, AuthenticationRequired):
        headers["WWW-Authenticate"] = 'Bearer realm="botlens"'

    return problem_response(body, headers)
