"""Thin views of the v1 contract: parse, validate, delegate to the model, serialise."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api import documents, observability, schemas, storage
from api.access import costs, public
from api.requests import once_per_request, raw_body, scorer, service, top_k, validator
from api.responses import SECURITY, json_response, problems
from model import pipeline
from model.problems import item_problem
from model.results import result

blp = Blueprint("v1", __name__, description="Account-integrity scores")


def _request_body(native: Any) -> dict[str, Any]:
    """The documented body: the native request or, with ?format=, a platform's payload."""
    return {
        "required": True,
        "content": {"application/json": {"schema": {"anyOf": [native, *schemas.PAYLOAD_SCHEMAS]}}},
    }


def batch_items() -> list[Any]:
    """A batch body's items, once per request: undecoded if the envelope is well formed, else schema-loaded (or 422)."""
    return once_per_request("batch_items", lambda: validator().batch(raw_body()))


@blp.route("/v1/score")
class ScoreView(MethodView):
    """Score one account."""

    @blp.arguments(schemas.FORMAT_QUERY, location="query", as_kwargs=True)
    @blp.doc(requestBody=_request_body(schemas.ScoreRequestSchema))
    @blp.response(200, schemas.ScoreResponseSchema)
    @blp.doc(security=SECURITY)
    @problems(400, 401, 403, 413, 415, 422, 429, 503)
    def post(self, format: str) -> Response:
        """Scores one account for bot, troll and hijacked behaviour, with explanations."""
        model = scorer()
        item = validator().request(format, raw_body(), time.time())
        scored = model.score([item], top_k=top_k())
        observability.record_scores(scored)
        body = result(model.version, item, scored[0])
        storage.keep([item], [body])
        return json_response(body)


@blp.route("/v1/score/batch")
@costs(lambda: len(batch_items()))
class BatchScoreView(MethodView):
    """Score many accounts."""

    @blp.arguments(schemas.FORMAT_QUERY, location="query", as_kwargs=True)
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": schemas.BatchRequestSchema}}})
    @blp.response(200, schemas.BatchResponseSchema)
    @blp.doc(security=SECURITY)
    @problems(400, 401, 403, 413, 415, 422, 429, 503)
    def post(self, format: str) -> Response:
        """Scores up to MAX_BATCH accounts; each slot holds its result or its own problem object."""
        slots = pipeline.score_slots(
            scorer(),
            validator(),
            format,
            batch_items(),
            time.time(),
            top_k(),
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
        model = scorer()
        card = dict(model.card)
        card["version"] = model.version
        card["classes"] = model.classes
        card["thresholds"] = model.thresholds()
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
        model = service().model
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
    """The OpenAPI document."""

    @blp.response(200, content_type="application/yaml", description="This document.")
    def get(self) -> Response:
        """Serves this service's OpenAPI document (equal to the committed openapi.yaml; a test keeps them so)."""
        return Response(documents.document(current_app), mimetype="application/yaml")


@blp.route("/metrics")
@public
class MetricsView(MethodView):
    """Prometheus metrics."""

    @blp.response(200, content_type="text/plain", description="Prometheus text exposition.")
    def get(self) -> Response:
        """Request counts and latencies by route and status, score histograms, model version."""
        return observability.metrics_response()
