"""Who may call the scoring routes and how much: API keys, per-key quotas (flask-limiter) and CORS."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, request
from flask_cors import CORS
from flask_limiter import Limiter

from api.auth import KeyStore, presented_key

# Endpoints that need a key (when auth is on) and count against quotas; health, metrics and the
# spec stay open so probes and tooling work without credentials.
PROTECTED = ("v1.ScoreView", "v1.BatchScoreView", "v1.ModelView")
BATCH = "v1.BatchScoreView"


def _state() -> Any:
    return current_app.extensions["botlens.access"]


def _authenticate() -> None:
    if request.endpoint not in PROTECTED or not current_app.config["AUTH_ENABLED"] or request.method == "OPTIONS":
        return
    g.api_key = _state()["keys"].verify(presented_key(request.headers))


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
    """A batch costs one unit per account, so batching does not multiply a quota."""
    if request.endpoint != BATCH:
        return 1
    from api.views import batch_items

    try:
        return max(1, len(batch_items()))
    except Exception:  # The view reports the body's problem; here it only costs one unit.
        return 1


def init_app(app: Flask) -> None:
    """Registers authentication, quotas and CORS; must run after the blueprint is registered."""
    keys = KeyStore.from_config(app.config.get("API_KEYS"), app.config.get("API_KEYS_FILE"))
    if app.config["AUTH_ENABLED"] and not keys.keys:
        raise ValueError("AUTH_ENABLED is set but no API keys are configured (API_KEYS or API_KEYS_FILE)")
    # Runs before the limiter's own hook, so quotas see the authenticated key.
    app.before_request(_authenticate)
    app.extensions["botlens.access"] = {"keys": keys, "limiter": None}
    if app.config["AUTH_ENABLED"] or int(app.config["ANONYMOUS_QUOTA_PER_MINUTE"]) > 0:
        # Without keys and with an unlimited anonymous quota there is nothing to count, and the limiter's
        # hooks would cost every request about 0.2-0.5 ms (measured), so it is only set up when needed.
        limiter = Limiter(key_func=rate_key, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"],
                          strategy="moving-window", headers_enabled=True)
        app.extensions["botlens.access"]["limiter"] = limiter
        # One shared bucket per key across the scoring routes (decorated limits are per route otherwise).
        quota = limiter.shared_limit(_limit_value, scope="scoring", cost=_cost, exempt_when=_unlimited)
        for endpoint in PROTECTED:
            app.view_functions[endpoint] = quota(app.view_functions[endpoint])
    origins = list(app.config["CORS_ORIGINS"])
    if origins:
        CORS(app, resources={r"/v1/*": {"origins": origins}},
             allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID"],
             expose_headers=["X-Request-ID", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                             "X-RateLimit-Reset"], max_age=600)
