"""Problem details (RFC 9457) for every named failure: the one table from errors to statuses.

The HTTP responses, the items of a batch, the CLI's errors files and Spark's error rows all carry
these objects, so a client reads one shape wherever a record was refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.errors import (
    ArtifactError,
    AuthenticationRequired,
    FeatureNotConfigured,
    InvalidRecordError,
    KeyRevoked,
    MalformedInputError,
    ModelNotLoadedError,
    NotStored,
    QuotaNeverFits,
    RequestValidationError,
    ScopeRequired,
    ServerBusy,
    StoreDisabled,
    StoreUnavailable,
    UnsupportedMediaType,
    WebhookSignatureInvalid,
    XrpcInvalidRequest,
)

# Errors -> (status, problem slug, title). The one place statuses are chosen.
STATUS_TABLE: dict[type[Exception], tuple[int, str, str]] = {
    MalformedInputError: (400, "malformed-json", "Malformed JSON"),
    XrpcInvalidRequest: (400, "invalid-request", "Invalid Request"),
    WebhookSignatureInvalid: (401, "bad-signature", "Bad Signature"),
    AuthenticationRequired: (401, "unauthorized", "Unauthorized"),
    KeyRevoked: (403, "forbidden", "Forbidden"),
    ScopeRequired: (403, "forbidden", "Forbidden"),
    NotStored: (404, "not-stored", "Not Stored"),
    FeatureNotConfigured: (404, "not-configured", "Not Configured"),
    QuotaNeverFits: (429, "too-many-requests", "Too Many Requests"),
    UnsupportedMediaType: (415, "unsupported-media-type", "Unsupported Media Type"),
    RequestValidationError: (422, "validation-error", "Validation Error"),
    InvalidRecordError: (422, "validation-error", "Validation Error"),
    ModelNotLoadedError: (503, "model-not-loaded", "Model Not Loaded"),
    ArtifactError: (503, "model-not-loaded", "Model Not Loaded"),
    StoreDisabled: (503, "store-disabled", "Store Disabled"),
    StoreUnavailable: (503, "store-unavailable", "Store Unavailable"),
    ServerBusy: (503, "busy", "Busy"),
}
INTERNAL = (500, "internal-error", "Internal Server Error")


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


def known(exc: Exception) -> tuple[int, str, str] | None:
    """The status, slug and title of an error the table names (by its class or a base class), else None."""
    for cls in type(exc).__mro__:
        if cls in STATUS_TABLE:
            return STATUS_TABLE[cls]
    return None


def problem_for(exc: Exception) -> dict[str, Any]:
    """The problem object of an error; one the table does not name is a 500 that leaks nothing."""
    entry = known(exc)
    if entry is None:
        return problem(*INTERNAL, "The server failed to handle the request; it was logged.")
    status, slug, title = entry
    errors = getattr(exc, "errors", None)
    if isinstance(exc, InvalidRecordError) and exc.field:
        errors = {exc.field: [str(exc)]}
    detail = getattr(exc, "detail", None) or str(exc) or title
    body = problem(status, slug, title, detail, errors)
    xrpc = getattr(exc, "xrpc_error", None)
    if xrpc:
        # AT Protocol clients read an XRPC error's name and message from these two members.
        body["error"], body["message"] = xrpc, detail
    return body


def item_problem(exc: Exception, index: int) -> dict[str, Any]:
    """The problem object of one refused item of a batch: its 0-based ``index`` as a field and in the detail."""
    body = problem_for(exc)
    body["detail"] = f"accounts[{index}] (item {index + 1} of the batch): {body['detail']}"
    body["index"] = index
    return body


def summary(body: Mapping[str, Any]) -> str:
    """A problem object in one line: its detail, then each field path with its messages."""
    fields = body.get("errors") or {}
    parts = [str(body.get("detail", ""))] + [f"{path}: {' '.join(messages)}" for path, messages in fields.items()]
    return "; ".join(part for part in parts if part)
