"""One error envelope (RFC 9457 problem+json) for every response: the table is ``model.problems``'.

Errors the table names keep its status; Werkzeug's routing and protocol errors (404, 405, 413, a
query string that does not validate) keep theirs; anything else is a 500 that leaks nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Response
from werkzeug.exceptions import HTTPException

from model.errors import AuthenticationRequired
from model.problems import known, problem, problem_for
from model.validation import flatten_messages

log = logging.getLogger(__name__)
PROBLEM_MIME = "application/problem+json"


def problem_response(body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    """Serialises a problem object with the problem+json media type."""
    return Response(orjson.dumps(body), status=body["status"], mimetype=PROBLEM_MIME, headers=dict(headers or {}))


def problem_for_exception(exc: Exception) -> dict[str, Any]:
    """Maps any exception to a problem object, Werkzeug's HTTP errors included."""
    if known(exc) is None and isinstance(exc, HTTPException):
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
    return problem_for(exc)


def handle_exception(exc: Exception) -> Response:
    """The single error handler registered on the app."""
    body = problem_for_exception(exc)
    if body["status"] >= 500 and not isinstance(exc, HTTPException):
        if known(exc) is None:
            log.exception("unhandled error", exc_info=exc)
        else:  # a named failure (no model, the store down): the operator sees why, without a traceback
            log.warning("%s: %s", type(exc).__name__, exc)
    headers = {}
    if isinstance(exc, HTTPException) and exc.code in (405, 429):
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
    if isinstance(exc, AuthenticationRequired):
        headers["WWW-Authenticate"] = 'Bearer realm="botlens"'
    return problem_response(body, headers)
