"""Thin view of coordinated-group search: parse, validate per account, delegate to model.coordination."""

from __future__ import annotations

import functools
import time
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api import schemas
from api.access import costs
from api.requests import json_body, once_per_request, validator
from api.responses import SECURITY, json_response, problems
from model import pipeline
from model.coordination import Settings
from model.problems import item_problem

blp = Blueprint("coordination", __name__, description="Coordinated groups")


@functools.cache
def _schema(max_accounts: int) -> Any:
    return schemas.coordination_request_schema(max_accounts)()


def coordination_body() -> dict[str, Any]:
    """The coordination body, loaded once per request (the quota's cost and the view both ask), or its error."""
    limit = int(current_app.config["MAX_COORDINATION_ACCOUNTS"])
    return dict(once_per_request("coordination_body", lambda: json_body(_schema(limit))))


@blp.route("/v1/coordination")
@costs(lambda: len(coordination_body()["accounts"]))
class CoordinationView(MethodView):
    """Find coordinated groups."""

    @blp.arguments(schemas.FORMAT_QUERY, location="query", as_kwargs=True)
    @blp.doc(
        requestBody={"required": True, "content": {"application/json": {"schema": schemas.CoordinationRequestSchema}}}
    )
    @blp.response(200, schemas.CoordinationResponseSchema)
    @blp.doc(security=SECURITY)
    @problems(400, 401, 403, 413, 415, 422, 429)
    def post(self, format: str) -> Response:
        """Scores each account's coordination and finds groups acting together, with evidence and reasons."""
        body = coordination_body()
        defaults = Settings()
        window = body.get("window_seconds")
        settings = Settings(
            window_seconds=defaults.window_seconds if window is None else float(window),
            min_group_size=int(body["min_group_size"]),
        )
        result = pipeline.coordination_slots(
            validator(), format, body["accounts"], time.time(), settings, problem=item_problem
        )
        return json_response(result)
