"""Who may call which route and how much: API keys, per-key quotas (flask-limiter) and CORS.

Access fails closed: when keys are on, every route needs one unless its view is declared
:func:`public` (health, metrics, the spec), and every route that needs a key counts against quotas.
A test walks ``app.url_map`` so that a new route cannot slip through.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_cors import CORS
from flask_limiter import Limiter
from werkzeug.datastructures import Headers

from api import quotas
from api.resources import KeySource
from model.errors import BotlensError, QuotaNeverFits

V = TypeVar("V")


def public(view: V) -> V:
    """Declares a view (a MethodView class) open to everyone: no key, no quota."""
    view.botlens_public = True  # type: ignore[attr-defined]
    return view


def costs(accounts: Callable[[], int]) -> Callable[[V], V]:
    """Declares what a request to a view costs against its key's quota: ``accounts()`` units, at least one.

    Views that take many accounts (batches, lookups, coordination) count each, so batching does not
    multiply a quota; a view without this declaration costs one unit. ``accounts`` reads the request
    (once: the view reads the same parse); a body it cannot read costs one unit, and the view reports
    its problem.
    """

    def declare(view: V) -> V:
        view.botlens_cost = staticmethod(accounts)  # type: ignore[attr-defined]
        return view

    return declare


def _view_class(app: Flask, endpoint: str | None) -> Any:
    view = app.view_functions.get(endpoint or "")
    return getattr(view, "view_class", view)


def is_public(app: Flask, endpoint: str | None) -> bool:
    """Whether the endpoint's view was declared public (unknown endpoints are 404s and need nothing)."""
    if endpoint is None:
        return True
    return bool(getattr(_view_class(app, endpoint), "botlens_public", False))


def presented_key(headers: Mapping[str, str] | Headers) -> str | None:
    """The key from ``Authorization: Bearer`` or ``X-API-Key``."""
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return headers.get("X-API-Key") or None


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
    """What the request costs: the units its view declares (:func:`costs`), else one."""
    accounts = getattr(_view_class(current_app, request.endpoint), "botlens_cost", None)
    if accounts is None:
        return 1
    try:
        return max(1, int(accounts()))
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
