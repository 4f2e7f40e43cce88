"""Who may call which route and how much: API keys, per-key quotas (flask-limiter) and CORS.

Access fails closed: when keys are on, every route needs one unless its view is declared
:func:`public` (health, metrics, the spec), and every route that needs a key counts against quotas.
A test walks ``app.url_map`` so that a new route cannot slip through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_cors import CORS
from flask_limiter import Limiter

from api import quotas
from api.auth import QuotaNeverFits, presented_key
from api.resources import KeySource
from model.errors import BotlensError

BATCH = "v1.BatchScoreView"
LOOKUP = "accounts.LookupView"
COORDINATION = "coordination.CoordinationView"
V = TypeVar("V")


def public(view: V) -> V:
    """Declares a view (a MethodView class) open to everyone: no key, no quota."""
    view.botlens_public = True  # type: ignore[attr-defined]
    return view


def is_public(app: Flask, endpoint: str | None) -> bool:
    """Whether the endpoint's view was declared public (unknown endpoints are 404s and need nothing)."""
    if endpoint is None:
        return True
    view = app.view_functions.get(endpoint)
    return bool(getattr(getattr(view, "view_class", view), "botlens_public", False))


def _state() -> Any:
    return current_app.extensions["botlens.access"]


def _authenticate() -> None:
    if (
        not current_app.config["AUTH_ENABLED"]
        or request.method == "OPTIONS"
        or is_public(current_app, request.endpoint)
    ):
        return
    g.api_key = _state()["keys"].current().verify(presented_key(request.headers))


def rate_key() -> str:
    """Quota bucket: the API key, else the client address."""
    key = g.get("api_key")
    return f"key:{key.id}" if key else f"addr:{request.remote_addr}"


def _quota() -> int:
    key = g.get("api_key")
    return int(key.quota_per_minute) if key else int(current_app.config["ANONYMOUS_QUOTA_PER_MINUTE"])


def _limit_value() -> str:
    return f"{max(_quota(), 1)}/minute"


def _unlimited() -> bool:
    return _quota() <= 0


def _cost() -> int:
    """A batch, lookup or coordination request costs one unit per account, so batching does not multiply a quota."""
    if request.endpoint not in (BATCH, LOOKUP, COORDINATION):
        return 1
    from api.accounts import lookup_items
    from api.coordination import coordination_body
    from api.views import batch_items

    try:
        if request.endpoint == COORDINATION:
            return max(1, len(coordination_body()["accounts"]))
        return max(1, len(batch_items() if request.endpoint == BATCH else lookup_items()))
    except BotlensError:  # The view reports the body's problem; here it only costs one unit.
        return 1


def _refuse_what_never_fits() -> None:
    """A batch larger than the whole quota per minute gets a 429 that says so, instead of waiting forever."""
    if request.method == "OPTIONS" or is_public(current_app, request.endpoint) or _unlimited():
        return
    cost, quota = _cost(), _quota()
    if cost > quota:
        raise QuotaNeverFits(
            f"This request costs {cost} accounts, more than the whole quota of {quota} accounts "
            f"per minute: it can never fit. Send batches of at most {quota} accounts."
        )


def _only_429_retries(response: Response) -> Response:
    # flask-limiter puts Retry-After on every limited response; only a refusal should tell a client to wait.
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
    return response


def _vary_on_origin(response: Response) -> Response:
    # Whether CORS headers are present depends on the Origin header: caches must key on it.
    if request.path.startswith("/v1/"):
        response.vary.add("Origin")
    return response


def storage_uri(config: Any) -> str:
    """Where quota counters live: the configured URI, else a SQLite file shared by this instance's workers."""
    uri = config.get("RATELIMIT_STORAGE_URI")
    return str(uri) if uri else quotas.uri_for(config["STATE_DIR"])


def init_app(app: Flask) -> None:
    """Registers authentication, quotas and CORS; must run after the blueprint is registered."""
    if app.config["AUTH_ENABLED"] and not (app.config.get("API_KEYS") or app.config.get("API_KEYS_FILE")):
        raise ValueError("AUTH_ENABLED is set but no API keys are configured (API_KEYS or API_KEYS_FILE)")
    # A keys file that cannot be read does not stop the service: see api.resources.KeySource.
    keys = KeySource(app.config.get("API_KEYS"), app.config.get("API_KEYS_FILE"), Path(app.config["STATE_DIR"]))
    # Runs before the limiter's own hook, so quotas see the authenticated key.
    app.before_request(_authenticate)
    app.extensions["botlens.access"] = {"keys": keys, "limiter": None}
    if app.config["AUTH_ENABLED"] or int(app.config["ANONYMOUS_QUOTA_PER_MINUTE"]) > 0:
        # Without keys and with an unlimited anonymous quota there is nothing to count, and the limiter's
        # hooks would cost every request about 0.2-0.5 ms (measured), so it is only set up when needed.
        app.before_request(_refuse_what_never_fits)
        # Registered before the limiter: after-request hooks run in reverse order, so this one runs after its.
        app.after_request(_only_429_retries)
        limiter = Limiter(
            key_func=rate_key,
            app=app,
            storage_uri=storage_uri(app.config),
            strategy="moving-window",
            headers_enabled=True,
        )
        app.extensions["botlens.access"]["limiter"] = limiter
        # One shared bucket per key across the protected routes (decorated limits are per route otherwise).
        quota = limiter.shared_limit(_limit_value, scope="scoring", cost=_cost, exempt_when=_unlimited)
        for rule in app.url_map.iter_rules():
            if not is_public(app, rule.endpoint):
                app.view_functions[rule.endpoint] = quota(app.view_functions[rule.endpoint])  # type: ignore[assignment]
    origins = list(app.config["CORS_ORIGINS"])
    if origins:
        app.after_request(_vary_on_origin)
        CORS(
            app,
            resources={r"/v1/*": {"origins": origins}},
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
            ],
            max_age=600,
        )
