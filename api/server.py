"""Gunicorn settings for the scoring service: `gunicorn -c python:api.server 'api.app:create_app()'` (`botlens serve`).

Part of the package, so an installed service starts the same as a checkout.

Each worker builds the app and loads the model once (no preload, so every process owns its own
LightGBM handles). Reloading a model without dropping requests: replace the artifact and card at
MODEL_PATH / MODEL_CARD_PATH, then `kill -HUP <master pid>`; gunicorn starts new workers with the new
model and lets the old ones finish their requests before they exit (tested in tests/test_reload.py).
"""

import logging
import os
import re
import tempfile
from typing import Any

from gunicorn import glogging

# One thread per worker for every native pool (OpenMP in LightGBM, BLAS under numpy): a worker is one
# process per core, and pools on top oversubscribe the cores (LightGBM calls also pass num_threads=1).
for _pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")

bind = os.environ.get("BOTLENS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("BOTLENS_WORKERS", "2"))
# A labeler's label streams are long-lived WebSockets: each holds a thread, so a labeler's workers are
# threaded (every stream's thread plus a few for requests) unless BOTLENS_WORKER_CLASS says otherwise.
_LABELER = bool(os.environ.get("BOTLENS_LABELER_DID"))
_STREAMS = int(os.environ.get("BOTLENS_LABELER_MAX_SUBSCRIBERS", "16"))
worker_class = os.environ.get("BOTLENS_WORKER_CLASS", "gthread" if _LABELER else "sync")
threads = int(os.environ.get("BOTLENS_THREADS", str(_STREAMS + 4) if _LABELER else "1"))
timeout = 60
graceful_timeout = 30
keepalive = 5
# The app writes JSON access lines with request ids itself.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("BOTLENS_LOG_LEVEL", "info").lower()

# Files every worker of this instance shares (the quota counters): one fresh folder per start, set
# before the workers build their apps.
if not os.environ.get("BOTLENS_STATE_DIR"):
    os.environ["BOTLENS_STATE_DIR"] = tempfile.mkdtemp(prefix="botlens-state-")

# Prometheus multiprocess mode: every worker writes its metrics into this folder and /metrics sums them.
# It must be set before the workers import prometheus_client, hence here, and start empty.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="botlens-metrics-")


class RedactingLogger(glogging.Logger):
    """gunicorn's logger with query strings and API keys taken out of its own messages.

    gunicorn logs a malformed request line as it came (``Invalid request from ip=...: Invalid HTTP
    request line: 'GET /v1/score?api_key=bl_... HTTP/1.1 x'``): a key sent in a URL would land in the
    log in full.
    """

    _SECRET = re.compile(r"(bl_[0-9A-Za-z]+_)[0-9A-Za-z_-]+|\?[^\s'\"]*")

    @classmethod
    def redact(cls, text: str) -> str:
        """The text with query strings and key secrets replaced."""
        return cls._SECRET.sub(lambda m: f"{m.group(1)}<redacted>" if m.group(1) else "?<redacted>", text)

    def setup(self, cfg: Any) -> None:
        """Sets gunicorn's handlers up, then filters every record of its error log through :meth:`redact`."""
        super().setup(cfg)
        redact = self.redact

        class Redacting(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                record.msg, record.args = redact(record.getMessage()), None
                return True

        self.error_log.addFilter(Redacting())


logger_class = RedactingLogger


# Longest a stopping worker waits for its writer to store what it acknowledged (gunicorn kills it
# graceful_timeout after the stop; what is left then stays in its journal for the next worker).
STORE_CLOSE_SECONDS = 10


def worker_exit(server, worker):
    """Writes out the results a stopping worker acknowledged (SIGTERM, a HUP reload, a max-requests
    restart), at most STORE_CLOSE_SECONDS; what is left is replayed from its journal by the next worker."""
    from api import storage

    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "extensions"):
        storage.close(app, STORE_CLOSE_SECONDS)


def child_exit(server, worker):
    """Drops a dead worker's live gauges from the multiprocess metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# Young-generation collections start after this many net allocations of tracked objects (Python's
# default: 700). A 200-post request keeps more than 700 alive at its peak, so the default collected once
# per request (0.09-0.12 ms of a 4 ms request, in process); what a request allocates is freed by
# reference counting when it ends, and from 5,000 on no collection ran in 1,000 requests.
GC_YOUNG_THRESHOLD = 10_000


def post_worker_init(worker):
    """Moves what the worker loaded (modules, the model) out of the garbage collector's scans, and lets
    requests allocate without a young collection each.

    Scoring allocates many short-lived objects; without the freeze every full collection walks the
    model and the imported modules again (measured: batch scoring about 20% faster with it).
    """
    import gc

    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
