"""Mastodon admin webhooks: a reported (or new) account scored from the delivery, stored, and noted back.

Mastodon signs each delivery with the webhook's secret (``X-Hub-Signature: sha256=<HMAC-SHA256 of the
body>``); a delivery without a valid signature is a 401. A report's target account is scored from
the profile and the statuses the delivery carries (no call to the Mastodon server), the result is
stored like any other, and, when the server's URL and an admin token are configured, the result goes
back to the report as a note (``POST /api/v1/admin/reports/:id/notes``) after the response.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import orjson
from flask import Flask, Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import observability, storage
from api.access import public
from api.requests import raw_body, scorer, top_k, validator
from api.responses import json_response, problems
from model.errors import FeatureNotConfigured, InvalidRecordError, RequestValidationError, WebhookSignatureInvalid
from model.platforms import mastodon
from model.results import note, result
from model.validation import parse_json

log = logging.getLogger(__name__)
EXTENSION = "botlens.webhooks"
SIGNATURE_HEADER = "X-Hub-Signature"
NOTE_TIMEOUT_SECONDS = 10
# Where each part of the adapter payload sits in a delivery, for error paths in the delivery's own terms.
_DELIVERY_PATHS = {"account": "object.target_account.account", "statuses": "object.statuses"}
_EVENTS = (*mastodon.REPORT_EVENTS, *mastodon.ACCOUNT_EVENTS)

blp = Blueprint("webhooks", __name__, description="Webhook receivers (Mastodon admin webhooks)")


def init_app(app: Flask) -> None:
    """A thread that sends report notes off the request path (only when notes are configured)."""
    if app.config.get("MASTODON_URL") and app.config.get("MASTODON_ADMIN_TOKEN"):
        app.extensions[EXTENSION] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="botlens-notes")


def verify(secret: str, body: bytes, header: str | None) -> None:
    """Checks a delivery's ``X-Hub-Signature``.

    Raises:
        WebhookSignatureInvalid: it is missing, malformed or does not match.
    """
    if not header or not header.startswith("sha256="):
        raise WebhookSignatureInvalid(f"The delivery has no {SIGNATURE_HEADER}: sha256=<hex> header.")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower()):
        raise WebhookSignatureInvalid(f"The {SIGNATURE_HEADER} header does not match the body under the secret.")


def _in_delivery_terms(exc: Exception, report: bool) -> Exception:
    """An adapter's error with its field path as it appears in the delivery."""

    def moved(path: str) -> str:
        # The validator names fields in the adapter payload's terms (account.acct, statuses.3.content).
        root, _, rest = path.partition(".")
        if root not in _DELIVERY_PATHS:
            return path
        prefix = _DELIVERY_PATHS[root] if report or root != "account" else "object.account"
        return prefix + ("." + rest if rest else "")

    if isinstance(exc, InvalidRecordError):
        return InvalidRecordError(str(exc), moved(exc.field) if exc.field else None)
    if isinstance(exc, RequestValidationError):
        return RequestValidationError({moved(k): v for k, v in exc.errors.items()}, exc.detail)
    return exc


def post_note(server: str, token: str, report_id: str, text: str) -> str:
    """Sends a note to a report through Mastodon's admin API; returns the outcome (a metric label).

    Mastodon servers without the report-notes API answer 404 (``unsupported``): the result stays in the
    store and in the webhook's response, and the log says so.
    """
    url = f"{server.rstrip('/')}/api/v1/admin/reports/{report_id}/notes"
    body = orjson.dumps({"content": text})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=NOTE_TIMEOUT_SECONDS):
            return "posted"
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 405):
            log.warning("the Mastodon server at %s has no report-notes API (%d): note not posted", server, exc.code)
            return "unsupported"
        log.warning("report note for report %s refused: HTTP %d", report_id, exc.code)
    except OSError as exc:
        log.warning("report note for report %s not sent: %s", report_id, exc)
    return "failed"


def _send_note(app: Flask, report_id: str, text: str) -> None:
    outcome = post_note(str(app.config["MASTODON_URL"]), str(app.config["MASTODON_ADMIN_TOKEN"]), report_id, text)
    observability.REPORT_NOTES.labels(outcome).inc()


@blp.route("/v1/webhooks/mastodon")
@public
class MastodonWebhookView(MethodView):
    """Mastodon admin webhook deliveries."""

    @blp.response(200, description="The delivery was read: the account's result, or why it was not scored.")
    @problems(
        400,
        401,
        404,
        413,
        415,
        422,
        503,
        saying={
            401: "X-Hub-Signature is missing or does not match the body under the webhook's secret.",
            404: "No Mastodon webhook is configured on this server (MASTODON_WEBHOOK_SECRET).",
            422: "The delivery is not shaped as Mastodon sends it; `errors` names the field in its terms.",
        },
    )
    def post(self) -> Response:
        """Scores the account a report.* or account.* delivery names (signed with the webhook's secret)."""
        secret = current_app.config.get("MASTODON_WEBHOOK_SECRET")
        if not secret:
            raise FeatureNotConfigured("No Mastodon webhook is configured here (MASTODON_WEBHOOK_SECRET).")
        body = raw_body()
        try:
            verify(str(secret), body, request.headers.get(SIGNATURE_HEADER))
        except WebhookSignatureInvalid:
            observability.WEBHOOKS.labels("mastodon", "any", "refused").inc()
            raise
        delivery = mastodon.webhook_event(parse_json(body))
        event = delivery.event if delivery.event in _EVENTS else "other"
        if delivery.payload is None:
            observability.WEBHOOKS.labels("mastodon", event, "ignored").inc()
            return json_response({"event": delivery.event, "scored": False, "reason": "not an event about an account"})
        model = scorer()
        try:
            item = validator().request("mastodon", delivery.payload, time.time())
        except (InvalidRecordError, RequestValidationError) as exc:
            raise _in_delivery_terms(exc, delivery.event in mastodon.REPORT_EVENTS) from exc
        scored = model.score([item], top_k=top_k())
        observability.record_scores(scored)
        found = result(model.version, item, scored[0])
        storage.keep([item], [found])
        notes: ThreadPoolExecutor | None = current_app.extensions.get(EXTENSION)
        noted = False
        if notes is not None and delivery.report_id is not None:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            notes.submit(_send_note, app, delivery.report_id, note(found))
            noted = True
        observability.WEBHOOKS.labels("mastodon", event, "scored").inc()
        return json_response(
            {"event": delivery.event, "scored": True, "report_id": delivery.report_id, "note": noted, "result": found}
        )
