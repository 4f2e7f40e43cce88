"""The Bluesky labeler: AT Protocol label routes over the store's signed label stream (``store.labels``).

``GET /xrpc/com.atproto.label.queryLabels`` pages the current labels of matching accounts, and
``/xrpc/com.atproto.label.subscribeLabels`` is the WebSocket stream of every label and negation in
sequence (backfill from a cursor, then new ones as any worker or instance publishes them). Both are
public, as the protocol expects; their parameters are bounded and each worker holds at most
``LABELER_MAX_SUBSCRIBERS`` streams.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libipld
from flask import Flask, Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from simple_websocket import ConnectionClosed, Server

from api import observability, storage
from api.access import public
from api.responses import json_response, problems
from model.errors import FeatureNotConfigured, ServerBusy, StoreUnavailable, XrpcInvalidRequest
from model.labeling import LabelSigner
from store import labels
from store.labels import Labeler

log = logging.getLogger(__name__)
EXTENSION = "botlens.labeler"
DEFAULT_LIMIT = 50
# How often an open stream asks the store for labels other workers published.
POLL_SECONDS = 0.5
# Labels sent per store read while a stream backfills.
BACKFILL_BATCH = 500

blp = Blueprint("labeler", __name__, description="Bluesky labeler (AT Protocol label routes)")


@dataclass
class LabelerState:
    """The worker's labeler: who signs, and how many streams it may still open."""

    labeler: Labeler
    signer: LabelSigner
    streams: threading.BoundedSemaphore


def init_app(app: Flask) -> None:
    """Sets the labeler up when LABELER_DID and LABELER_KEY_FILE are configured (the store must be on).

    Raises:
        ValueError: the labeler is half configured, its key is unreadable, or the store is off.
    """
    did, key_file = app.config.get("LABELER_DID"), app.config.get("LABELER_KEY_FILE")
    if not did and not key_file:
        return
    if not (did and key_file):
        raise ValueError("the labeler needs both LABELER_DID and LABELER_KEY_FILE")
    if not str(did).startswith("did:"):
        raise ValueError(f"LABELER_DID must be a DID (did:plc:... or did:web:...), not {did!r}")
    if storage.EXTENSION not in app.extensions:
        raise ValueError("the labeler publishes from the score store: STORE_ENABLED must be on")
    signer = LabelSigner.load(Path(key_file))
    state = LabelerState(
        Labeler(str(did), signer.sign), signer, threading.BoundedSemaphore(int(app.config["LABELER_MAX_SUBSCRIBERS"]))
    )
    app.extensions[EXTENSION] = state
    store_state = app.extensions[storage.EXTENSION]
    # Every batch of results the worker writes: publish what changed for the Bluesky accounts in it.
    store_state.writer.after_write = lambda rows: _published(
        labels.sync(store_state.store, state.labeler, labels.accounts_of(rows), time.time())
    )
    log.info("labeler %s publishing signed labels (key %s)", did, signer.did_key())


def _published(published: list[dict[str, Any]]) -> None:
    observability.LABELS_PUBLISHED.inc(len(published))


def _state() -> LabelerState:
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        raise FeatureNotConfigured("This server is not a labeler (LABELER_DID and LABELER_KEY_FILE are not set).")
    return found


def follow(platform: str, account_ids: Iterable[str]) -> None:
    """Publishes the label changes feedback or a deletion made (a Bluesky account's, when labeling).

    A store failure here is logged, not raised: the feedback or deletion stands, and the next sync
    (a later write, or ``botlens labeler sync``) publishes the change.
    """
    found: LabelerState | None = current_app.extensions.get(EXTENSION)
    if found is None or platform != labels.PLATFORM:
        return
    try:
        _published(labels.sync(storage.state().store, found.labeler, account_ids, time.time()))
    except StoreUnavailable as exc:
        log.warning("labels not published now (the next sync will): %s", exc)


def _integer(name: str, default: int, low: int, high: int | None = None) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise XrpcInvalidRequest(f"{name} must be an integer, not {text!r}.") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise XrpcInvalidRequest(f"{name} must be {bound}, not {value}.")
    return value


def _strings(name: str, required: bool) -> list[str]:
    values = [v for v in request.args.getlist(name) if v]
    if required and not values:
        raise XrpcInvalidRequest(f"{name} is required (one or more values).")
    if len(values) > labels.MAX_PATTERNS:
        raise XrpcInvalidRequest(f"{name} takes at most {labels.MAX_PATTERNS} values, not {len(values)}.")
    if any(len(v) > 1000 for v in values):
        raise XrpcInvalidRequest(f"each {name} value is at most 1,000 characters.")
    return values


def _json_label(label: dict[str, Any]) -> dict[str, Any]:
    # The JSON form of the AT Protocol data model: bytes as {"$bytes": base64 without padding}.
    sig = base64.b64encode(label["sig"]).decode().rstrip("=")
    return {**label, "sig": {"$bytes": sig}}


@blp.route("/xrpc/com.atproto.label.queryLabels")
@public
class QueryLabelsView(MethodView):
    """The labels of accounts, by URI pattern."""

    @blp.response(200, description="`labels` (signatures as {$bytes}), and `cursor` when there is a next page.")
    @problems(
        400,
        404,
        503,
        saying={
            400: "A parameter out of its bounds, with the AT Protocol's `error` (InvalidRequest) and `message`.",
            404: "This server is not a labeler (LABELER_DID and LABELER_KEY_FILE are not set).",
        },
    )
    def get(self) -> Response:
        """Current labels (and negations) of accounts whose DID matches ``uriPatterns`` (``*`` ends a prefix)."""
        state = _state()
        patterns = _strings("uriPatterns", required=True)
        sources = _strings("sources", required=False)
        limit = _integer("limit", DEFAULT_LIMIT, 1, labels.MAX_LIMIT)
        cursor = _integer("cursor", 0, 0)
        if sources and state.labeler.did not in sources:
            return json_response({"labels": []})
        found, following = labels.query(storage.state().store, patterns, sources, cursor, limit)
        body: dict[str, Any] = {"labels": [_json_label(label) for label in found]}
        if following is not None:
            body["cursor"] = str(following)
        return json_response(body)


def frame(header: dict[str, Any], body: dict[str, Any]) -> bytes:
    """One event-stream message: a DAG-CBOR header, then the DAG-CBOR body."""
    return bytes(libipld.encode_dag_cbor(header)) + bytes(libipld.encode_dag_cbor(body))


def _labels_frame(seq: int, label: dict[str, Any]) -> bytes:
    return frame({"op": 1, "t": "#labels"}, {"seq": seq, "labels": [label]})


def _error_frame(error: str, message: str) -> bytes:
    return frame({"op": -1}, {"error": error, "message": message})


class _Upgraded(Response):
    """The response of a request whose connection became a WebSocket: nothing more is written to it."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        if environ.get("gunicorn.socket") is not None:
            raise StopIteration()  # gunicorn's workers close the connection without writing a response
        return []


def _stream(ws: Server, cursor: int | None, state: LabelerState) -> None:
    store = storage.state().store
    newest = labels.latest(store)
    if cursor is not None and cursor > newest:
        ws.send(_error_frame("FutureCursor", f"Cursor {cursor} is past the newest label ({newest})."))
        return
    seq = newest if cursor is None else cursor
    while True:
        batch = labels.since(store, seq, BACKFILL_BATCH)
        for seq, label in batch:
            ws.send(_labels_frame(seq, label))
        if len(batch) < BACKFILL_BATCH:
            # Waits for the next poll; a client that closed the stream ends it here (ConnectionClosed).
            ws.receive(timeout=POLL_SECONDS)


# websocket=True: Werkzeug routes an Upgrade: websocket request only to rules that say so.
@blp.route("/xrpc/com.atproto.label.subscribeLabels", websocket=True)
@public
class SubscribeLabelsView(MethodView):
    """The label stream (WebSocket)."""

    @blp.response(101, description="Switching to the WebSocket: #labels frames (DAG-CBOR), or an error frame.")
    @problems(
        400,
        404,
        503,
        saying={
            400: "Not a WebSocket upgrade request, or a cursor that is not a non-negative integer.",
            404: "This server is not a labeler (LABELER_DID and LABELER_KEY_FILE are not set).",
            503: "This worker holds as many label streams as it may (LABELER_MAX_SUBSCRIBERS).",
        },
    )
    def get(self) -> Response:
        """Streams every label and negation after ``cursor`` (0 = from the first), then new ones as published."""
        state = _state()
        cursor = _integer("cursor", -1, 0) if "cursor" in request.args else None
        if not state.streams.acquire(blocking=False):
            raise ServerBusy(
                "This server holds as many label streams as it may (LABELER_MAX_SUBSCRIBERS); retry later."
            )
        try:
            try:
                ws = Server(request.environ)
            except RuntimeError as exc:  # a server that cannot hand the connection over (no socket)
                raise XrpcInvalidRequest(f"This server cannot open a WebSocket here: {exc}") from exc
            try:
                _stream(ws, cursor, state)
            except ConnectionClosed:
                pass
            except StoreUnavailable as exc:
                ws.send(_error_frame("InternalServerError", str(exc)))
            finally:
                with contextlib.suppress(Exception):  # the client may have gone already
                    ws.close()
        finally:
            state.streams.release()
        return _Upgraded()
