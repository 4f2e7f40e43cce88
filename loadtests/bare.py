"""The comparison endpoint: parses the same body with the same JSON library and returns a tiny answer.

``gunicorn -c python:api.server 'loadtests.bare:create_app()'`` runs it under the service's config.
"""

from __future__ import annotations

import orjson
from flask import Flask, Response, request


def create_app() -> Flask:
    """A Flask app whose one route only parses the body."""
    app = Flask(__name__)

    @app.post("/v1/score")
    def parse_only() -> Response:
        body = orjson.loads(request.get_data(cache=False))
        return Response(orjson.dumps({"n_posts": len(body.get("posts") or [])}), mimetype="application/json")

    return app
