"""The app factory: ``create_app(overrides)`` builds the Flask app with its per-process resources."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from api import (
    access,
    accounts,
    coordination,
    documents,
    labeler,
    observability,
    page,
    resources,
    storage,
    views,
    webhooks,
)
from api.config import ENV_PREFIX, Config
from api.errors import handle_exception
from api.requests import EXTENSION
from api.resources import ModelStatus
from model import places
from model.contract import Limits
from model.scoring import Scorer
from model.validation import Validator

log = logging.getLogger(__name__)


@dataclass
class ServiceState:
    """Per-process resources: the model (or why there is none) and the request validators."""

    model: ModelStatus
    validator: Validator

    @property
    def scorer(self) -> Scorer | None:
        """The model in service, if any."""
        return self.model.scorer


class BotlensApi(Api):
    """flask-smorest Api whose HTTP errors use the service's problem+json envelope."""

    # Error responses are documented per view as problem+json, not as flask-smorest's default envelope.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Any:
        return handle_exception(error)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Builds the Flask app.

    Args:
        overrides: Config keys that win over ``Config`` and ``BOTLENS_*`` environment variables.
    """
    # No implicit static route: the page's files are served by a view declared public (api.page).
    app = Flask("api", static_folder=None)
    app.config.from_object(Config)
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.update(overrides)

    observability.configure_logging(str(app.config["LOG_LEVEL"]))
    # One folder for what the workers of an instance share (quota counters, last verified model and
    # keys); api.server sets it per start, an app made elsewhere gets its own.
    app.config["STATE_DIR"] = app.config.get("STATE_DIR") or tempfile.mkdtemp(prefix="botlens-state-")
    validator = Validator.build(Limits.from_settings(app.config))
    model = resources.load_model(
        app.config["MODEL_PATH"],
        app.config["MODEL_CARD_PATH"],
        app.config["MODEL_PUBLIC_KEY_PATH"],
        bool(app.config["ALLOW_UNSIGNED_MODELS"]),
        Path(app.config["STATE_DIR"]),
    )
    app.extensions[EXTENSION] = ServiceState(model, validator)
    places.warm()
    scorer = model.scorer

    hops = int(app.config["PROXY_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    api = BotlensApi(app)
    documents.register_fields(api)
    api.register_blueprint(views.blp)
    api.register_blueprint(accounts.blp)
    api.register_blueprint(coordination.blp)
    api.register_blueprint(labeler.blp)
    api.register_blueprint(webhooks.blp)
    page.init_app(app)
    storage.init_app(app)
    labeler.init_app(app)
    webhooks.init_app(app)
    app.register_error_handler(Exception, handle_exception)
    observability.init_app(app, scorer.version if scorer else None)
    access.init_app(app)
    return app
