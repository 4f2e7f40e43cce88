"""Thin views of the v1 contract: parse, validate, delegate to the model, serialise."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from api import bodies, observability, schemas, storage
from api.access import public
from api.errors import PROBLEM_MIME, UnsupportedMediaType, item_problem
from model import pipeline
from model.errors import ModelNotLoadedError
from model.scoring import Scorer
from model.validation import load, parse_json

T = TypeVar("T")
blp = Blueprint("v1", __name__, description="Account-integrity scores")
# One instance for every request: flask-smorest would build a schema object per request from the class.
FORMAT_QUERY = schemas.FormatQuerySchema()
# Either header carries the key; security applies only when the service runs with AUTH_ENABLED.
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyHeader": []}]

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


def problems(*statuses: int) -> Any:
    """Documents the problem+json responses a view can give."""

    def decorate(view: Any) -> Any:
        for status in statuses:
            view = blp.alt_response(
                status, schema=schemas.ProblemSchema, description=_PROBLEMS[status], content_type=PROBLEM_MIME
            )(view)
        return view

    return decorate


def _request_body(native: Any) -> dict[str, Any]:
    """The documented body: the native request or, with ?format=, a platform's payload."""
    return {
        "required": True,
        "content": {"application/json": {"schema": {"anyOf": [native, *schemas.PAYLOAD_SCHEMAS]}}},
    }


def _state() -> Any:
    return current_app.extensions["botlens"]


def _scorer() -> Scorer:
    scorer = _state().scorer
    if scorer is None:
        raise ModelNotLoadedError("No model is loaded; see /health/ready.")
    return scorer


def raw_body() -> bytes:
    """The request body's bytes, read once per request; 415 unless JSON (identity or gzip), 413 over the limit."""
    if "raw_body" not in g:
        mimetype = request.mimetype or ""
        if mimetype != "application/json" and not mimetype.endswith("+json"):
            raise UnsupportedMediaType("Send the body as application/json.")
        g.raw_body = bodies.read(request, int(current_app.config["MAX_CONTENT_LENGTH"]))
    return g.raw_body


def once_per_request(name: str, load: Callable[[], T]) -> T:
    """``load()``'s value, or the error it raised, worked out once per request and kept in ``g``.

    A refused body is remembered too: the quota's cost and the view both ask, and validating a
    million-element envelope twice doubled the cost of a bad request.
    """
    if name not in g:
        try:
            setattr(g, name, load())
        except Exception as exc:
            setattr(g, name, exc)
    value = g.get(name)
    if isinstance(value, Exception):
        raise value
    return value


def json_body(schema: Any) -> dict[str, Any]:
    """The request body (JSON, within the limits) loaded with a schema, or the 4xx error saying why."""
    return load(schema, parse_json(raw_body()))


def batch_items() -> list[Any]:
    """A batch body's items, once per request: undecoded if the envelope is well formed, else schema-loaded (or 422)."""
    return once_per_request("batch_items", lambda: _state().validator.batch(raw_body()))


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(body), status=status, mimetype="application/json")


def _top_k() -> int:
    return int(current_app.config["TOP_FEATURES"])


@blp.route("/v1/score")
class ScoreView(MethodView):
    """Score one account."""

    @blp.arguments(FORMAT_QUERY, location="query", as_kwargs=True)
    @blp.doc(requestBody=_request_body(schemas.ScoreRequestSchema))
    @blp.response(200, schemas.ScoreResponseSchema)
    @blp.doc(security=SECURITY)
    @problems(400, 401, 403, 413, 415, 422, 429, 503)
    def post(self, format: str) -> Response:
        """Scores one account for bot, troll and hijacked behaviour, with explanations."""
        scorer = _scorer()
        item = _state().validator.request(format, raw_body(), time.time())
        scored = scorer.score([item], top_k=_top_k())
        observability.record_scores(scored)
        body = pipeline.result(scorer, item, scored[0])
        storage.keep([item], [body])
        return json_response(body)


@blp.route("/v1/score/batch")
class BatchScoreView(MethodView):
    """Score many accounts."""

    @blp.arguments(FORMAT_QUERY, location="query", as_kwargs=True)
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": schemas.BatchRequestSchema}}})
    @blp.response(200, schemas.BatchResponseSchema)
    @blp.doc(security=SECURITY)
    @problems(400, 401, 403, 413, 415, 422, 429, 503)
    def post(self, format: str) -> Response:
        """Scores up to MAX_BATCH accounts; each slot holds its result or its own problem object."""
        scorer = _scorer()
        slots = pipeline.score_slots(
            scorer,
            _state().validator,
            format,
            batch_items(),
            time.time(),
            _top_k(),
            problem=item_problem,
            on_scored=observability.record_scores,
            on_results=storage.keep,
        )
        return json_response({"results": slots})


@blp.route("/v1/model")
class ModelView(MethodView):
    """The loaded model's card."""

    @blp.response(200, schemas.ModelCardSchema)
    @blp.doc(security=SECURITY)
    @problems(401, 403, 429, 503)
    def get(self) -> Response:
        """Returns the model card: data, metrics, thresholds, features, library versions."""
        scorer = _scorer()
        card = dict(scorer.card)
        card["version"] = scorer.version
        card["classes"] = scorer.classes
        card["thresholds"] = scorer.thresholds()
        return json_response(card)


@blp.route("/health/live")
@public
class LiveView(MethodView):
    """Liveness."""

    @blp.response(200, schemas.HealthSchema)
    def get(self) -> Response:
        """Answers 200 while the process serves requests."""
        return json_response({"status": "live"})


@blp.route("/health/ready")
@public
class ReadyView(MethodView):
    """Readiness."""

    @blp.response(200, schemas.HealthSchema)
    @blp.alt_response(503, schema=schemas.HealthSchema, description="No model, or keys on and none readable.")
    def get(self) -> Response:
        """Answers 200 while the service can score (saying so when it runs on a fallback), else 503 with why."""
        state = _state()
        model = state.model
        problems = []
        # Reason codes only: file paths and checksums stay in the log.
        if model.scorer is None:
            problems.append(f"no verified model is loaded ({model.problem}); the service log has the details")
        elif model.fallback:
            problems.append(
                f"the configured model failed verification ({model.problem}); serving the last verified model"
            )
        keys = current_app.extensions["botlens.access"]["keys"]
        keys.current()
        if keys.problem:
            problems.append(keys.problem)
        no_keys = bool(current_app.config["AUTH_ENABLED"]) and not keys.keys.keys
        body: dict[str, Any] = {"status": "ready", "model_version": model.scorer.version if model.scorer else None}
        if problems:
            body["detail"] = "; ".join(problems)
        if model.scorer is None or no_keys:
            body["status"] = "not ready"
            return json_response(body, 503)
        return json_response(body)


@blp.route("/openapi.yaml")
@public
class OpenAPIView(MethodView):
    """The committed OpenAPI document."""

    @blp.response(200, content_type="application/yaml", description="This document.")
    def get(self) -> Response:
        """Serves openapi.yaml as committed (a test keeps it equal to the code's spec)."""
        text = Path(current_app.config["OPENAPI_PATH"]).read_bytes()
        return Response(text, mimetype="application/yaml")


@blp.route("/metrics")
@public
class MetricsView(MethodView):
    """Prometheus metrics."""

    @blp.response(200, content_type="text/plain", description="Prometheus text exposition.")
    def get(self) -> Response:
        """Request counts and latencies by route and status, score histograms, model version."""
        return observability.metrics_response()
