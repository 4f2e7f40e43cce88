"""How views answer and how they are documented: JSON bodies, and the problem+json responses each can give."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask_smorest import Blueprint

from api import schemas
from api.errors import PROBLEM_MIME

# Either header carries the key; security applies only when the service runs with AUTH_ENABLED.
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyHeader": []}]
# Records the documentation of the views' responses (alt_response keeps it on the view function).
_DOCS = Blueprint("docs", __name__)
_PROBLEMS = {
    400: "Malformed JSON.",
    401: "No valid API key (when AUTH_ENABLED).",
    403: "The API key is revoked.",
    429: "Quota exceeded (Retry-After says when to retry), or a batch larger than the whole quota.",
    404: "Nothing is stored about the account.",
    413: "Body larger than MAX_CONTENT_LENGTH (also chunked, or once gzip is inflated).",
    415: "Body is not application/json, or its Content-Encoding is neither identity nor gzip.",
    422: "Body does not match the schema; `errors` names each field.",
    503: "No model loaded, or the score store is disabled or unavailable.",
}


def problems(*statuses: int, saying: dict[int, str] | None = None) -> Any:
    """Documents the problem+json responses a view can give (``saying``: what a status means for this view)."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            description = (saying or {}).get(status, _PROBLEMS[status])
            view = _DOCS.alt_response(
                status, schema=schemas.ProblemSchema, description=description, content_type=PROBLEM_MIME
            )(view)
        return view

    return decorate


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(body), status=status, mimetype="application/json")
