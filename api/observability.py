"""Request ids, structured JSON logs and Prometheus metrics.

Metrics work with several gunicorn workers through prometheus-client's multiprocess mode: set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before the workers start (api.server does).
Logs never carry request bodies, so no post text reaches them.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

access_log = logging.getLogger("botlens.access")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

REQUESTS = Counter(
    "botlens_requests_total", "HTTP requests by route, method and status.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "botlens_request_seconds",
    "HTTP request latency by route.",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10),
)
ACCOUNTS = Counter("botlens_accounts_scored_total", "Accounts scored (batch items count one each).")
SCORES = Histogram("botlens_score", "Calibrated scores by class.", ["cls"], buckets=tuple(i / 10 for i in range(1, 11)))
STORE_WRITTEN = Counter("botlens_store_written_total", "Scored results written to the score store.")
STORE_UNSAVED = Counter(
    "botlens_store_unsaved_total",
    "Scored results not stored, by reason (down: the store fails; full: too many waiting; disabled never counts).",
    ["reason"],
)
FEEDBACK = Counter(
    "botlens_feedback_total",
    "Feedback received, by the label given and the label the service had stored (none: never scored).",
    ["label", "stored_label"],
)
FEEDBACK_DISAGREEMENTS = Counter(
    "botlens_feedback_disagreements_total", "Feedback whose label differs from the stored label of the account."
)
WEBHOOKS = Counter(
    "botlens_webhooks_total",
    "Webhook deliveries by source, event and outcome (scored, ignored, refused).",
    ["source", "event", "outcome"],
)
REPORT_NOTES = Counter(
    "botlens_report_notes_total",
    "Report notes sent back to Mastodon by outcome (posted, unsupported: the server has no notes API, failed).",
    ["outcome"],
)
LABELS_PUBLISHED = Counter("botlens_labels_published_total", "AT Protocol labels and negations published.")
MODEL_INFO = Gauge("botlens_model_info", "1 for the loaded model version.", ["version"], multiprocess_mode="liveall")


class RequestIdFilter(logging.Filter):
    """Stamps every log record made while serving a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = g.get("request_id")
        return True


def configure_logging(level: str) -> None:
    """JSON lines on stderr for the service's loggers, with the request id where there is one."""
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    root = logging.getLogger("botlens")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    for name in ("api", "model", "store"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


def record_scores(results: list[dict[str, Any]]) -> None:
    """Counts scored accounts and their score distribution."""
    ACCOUNTS.inc(len(results))
    for result in results:
        for cls, score in result["scores"].items():
            SCORES.labels(cls).observe(score)


def metrics_response() -> Response:
    """Prometheus exposition of this process, or of every worker in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(
        generate_latest(registry),
        mimetype=CONTENT_TYPE_LATEST.split(";")[0],
        headers={"Content-Type": CONTENT_TYPE_LATEST},
    )


def init_app(app: Flask, model_version: str | None) -> None:
    """Request ids, access logs and request metrics for every response, errors included."""
    if model_version:
        MODEL_INFO.labels(model_version).set(1)

    @app.before_request
    def _start() -> None:
        presented = request.headers.get("X-Request-ID", "")
        g.request_id = presented if _REQUEST_ID.match(presented) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        route = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        # Label values come from fixed sets only: a client inventing methods must not invent series.
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        LATENCY.labels(route).observe(elapsed)
        key = g.get("api_key")
        access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "bytes_in": request.content_length or 0,
                "key": key.name if key else None,
                "remote": request.remote_addr,
            },
        )
        return response
