"""Thin views of the score store: lookups by account or handle, feedback, and deletion."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import labeler, observability, schemas, storage
from api.access import costs
from api.requests import json_body, once_per_request
from api.responses import SECURITY, json_response, problems
from model.errors import NotStored, RequestValidationError, ScopeRequired
from model.platforms import PLATFORMS
from model.problems import item_problem
from model.validation import load
from store import Store

blp = Blueprint("accounts", __name__, description="Stored results, lookups and feedback")
HISTORY_QUERY = schemas.HistoryQuerySchema()
LOOKUP_REQUEST = schemas.LookupRequestSchema()
LOOKUP_ITEM = schemas.LookupItemSchema()
FEEDBACK_REQUEST = schemas.FeedbackRequestSchema()
# Browsers and extensions may keep a result a minute, then revalidate with its ETag (a 304 costs no body).
CACHE_CONTROL = "private, max-age=60"
ADMIN = "admin"


def _cached(body: Any, tag: str) -> Response:
    response = json_response(body)
    response.set_etag(hashlib.sha256(tag.encode()).hexdigest()[:32])
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.make_conditional(request)  # turns it into a 304 without a body when If-None-Match matches
    return response


def known_platform(store: Store, platform: str, field: str = "platform") -> None:
    """Refuses a platform the service has no adapter for and the store holds nothing under (a typo reads
    as a 422, not as "never scored").

    Raises:
        RequestValidationError: the platform is unknown.
    """
    if platform in PLATFORMS or store.has_platform(platform):
        return
    known = ", ".join(PLATFORMS)
    raise RequestValidationError(
        {field: [f"Unknown platform {platform!r}: not {known}, and nothing is stored under it."]},
        f"Unknown platform {platform!r}.",
    )


def lookup_items() -> list[Any]:
    """A lookup body's items, once per request (the quota's cost and the view both ask), or its error."""
    return list(once_per_request("lookup_items", lambda: json_body(LOOKUP_REQUEST)["accounts"]))


@blp.route("/v1/accounts/<string:platform>/<string:account>")
class AccountView(MethodView):
    """One account's stored results."""

    @blp.arguments(HISTORY_QUERY, location="query", as_kwargs=True)
    @blp.response(200, schemas.StoredResultSchema, description="The newest stored result.")
    @blp.alt_response(
        200, success=True, schema=schemas.HistorySchema, description="With ?history=true: every stored result."
    )
    @blp.alt_response(304, description="Not modified since the ETag sent in If-None-Match.")
    @blp.doc(security=SECURITY)
    @problems(401, 403, 404, 422, 429, 503)
    def get(self, platform: str, account: str, history: bool) -> Response:
        """The newest stored result of an account, by platform id or handle (``@handle`` is always a handle)."""
        store = storage.state().store
        known_platform(store, platform)
        found = store.results(platform, account, history=history)
        if history:
            tag = f"h:{platform}:{found[0].account_id}:{[r.id for r in found]}"
            return _cached({"results": [r.to_json(with_key=True) for r in found]}, tag)
        return _cached(found[0].to_json(), f"r:{found[0].id}")

    @blp.response(200, schemas.DeletedSchema)
    @blp.doc(security=SECURITY)
    @problems(401, 403, 404, 422, 429, 503)
    def delete(self, platform: str, account: str) -> Response:
        """Deletes everything stored about an account (by platform id); needs a key with the admin scope."""
        key = g.get("api_key")
        if key is not None and ADMIN not in key.scopes:
            raise ScopeRequired("Deleting stored data needs an API key with the admin scope.")
        store = storage.state().store
        known_platform(store, platform)
        # The deletion is recorded with this time: every worker and instance drops what it holds of the
        # account from before it, so nothing acknowledged before the DELETE lands after it.
        try:
            removed = store.delete(platform, account, time.time())
        finally:
            labeler.follow(platform, [account])  # negates its labels, whatever was stored
        return json_response(removed)


@blp.route("/v1/accounts/lookup")
@costs(lambda: len(lookup_items()))
class LookupView(MethodView):
    """Many accounts' stored results."""

    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": schemas.LookupRequestSchema}}})
    @blp.response(200, schemas.LookupResponseSchema)
    @blp.doc(security=SECURITY)
    @problems(400, 401, 403, 413, 415, 422, 429, 503)
    def post(self) -> Response:
        """Looks up to 1,000 accounts by id or handle (one quota unit each); each slot holds a result or a problem."""
        store = storage.state().store
        items = lookup_items()
        slots: list[Any] = [None] * len(items)
        wanted: list[tuple[int, tuple[str, str]]] = []
        for index, item in enumerate(items):
            try:
                valid = load(LOOKUP_ITEM, item)
                known_platform(store, valid["platform"])
            except Exception as exc:
                slots[index] = item_problem(exc, index)
                continue
            key = valid["id"] if "id" in valid else "@" + valid["screen_name"].removeprefix("@")
            wanted.append((index, (valid["platform"], key)))
        for (index, (platform, key)), found in zip(wanted, store.lookup(key for _, key in wanted)):
            slots[index] = (
                found.to_json()
                if found
                else item_problem(NotStored(f"No stored result for {platform} account {key!r}."), index)
            )
        return json_response({"results": slots})


@blp.route("/v1/feedback")
class FeedbackView(MethodView):
    """Analysts' labels."""

    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": schemas.FeedbackRequestSchema}}})
    @blp.response(201, schemas.FeedbackSchema)
    @blp.doc(security=SECURITY)
    @problems(400, 401, 403, 413, 415, 422, 429, 503)
    def post(self) -> Response:
        """Stores an analyst's label (bot, troll, hijacked, human) for an account, with the key's name and id."""
        body = json_body(FEEDBACK_REQUEST)
        key = g.get("api_key")
        store = storage.state().store
        known_platform(store, body["platform"])
        stored = store.add_feedback(
            body["platform"],
            body["account_id"],
            body["label"],
            body.get("note"),
            key.name if key else None,
            time.time(),
            key.id if key else None,
        )
        labeler.follow(body["platform"], [body["account_id"]])
        given, had = stored["label"], stored["stored_label"]
        observability.FEEDBACK.labels(given, had or "none").inc()
        if had is not None and had != given:
            observability.FEEDBACK_DISAGREEMENTS.inc()
        return json_response(stored, 201)
