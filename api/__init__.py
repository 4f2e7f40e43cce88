"""HTTP adapter of the scoring service: ``gunicorn 'api:create_app()'``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from api.config import ENV_PREFIX, Config
from api.errors import handle_exception
from model.contract import Limits
from model.errors import BotlensError
from model.scoring import Scorer
from model.validation import Validator

log = logging.getLogger(__name__)
EXTENSION = "botlens"


@dataclass
class ServiceState:
    """Per-process resources: the loaded model (or why it is not loaded) and the request validators."""

    scorer: Scorer | None
    load_error: str | None
    validator: Validator


class BotlensApi(Api):
    """flask-smorest Api whose HTTP errors use the service's problem+json envelope."""

    # Error responses are documented per view as problem+json, not as flask-smorest's default envelope.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Any:
        return handle_exception(error)


def load_scorer(model_path: str, card_path: str) -> tuple[Scorer | None, str | None]:
    """Loads the model once; a failure is logged and reported, never raised (readiness stays 503)."""
    try:
        scorer = Scorer.load(Path(model_path), Path(card_path))
    except (BotlensError, OSError, ValueError, KeyError) as exc:
        log.error("model not loaded: %s", exc)
        return None, str(exc)
    log.info("model %s loaded from %s", scorer.version, model_path)
    return scorer, None


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Builds the Flask app.

    Args:
        overrides: Config keys that win over ``Config`` and ``BOTLENS_*`` environment variables.
    """
    # No static files are served, so no /static route exists to be protected or forgotten.
    app = Flask(__name__, static_folder=None)
    app.config.from_object(Config)
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.update(overrides)

    from api import access, observability, spec, views

    observability.configure_logging(str(app.config["LOG_LEVEL"]))
    validator = Validator.build(Limits.from_settings(app.config))
    scorer, error = load_scorer(app.config["MODEL_PATH"], app.config["MODEL_CARD_PATH"])
    app.extensions[EXTENSION] = ServiceState(scorer, error, validator)

    api = BotlensApi(app)
    spec.register_fields(api)
    api.register_blueprint(views.blp)
    app.register_error_handler(Exception, handle_exception)
    observability.init_app(app, scorer.version if scorer else None)
    access.init_app(app)
    return app
