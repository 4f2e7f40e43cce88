"""Gunicorn settings for the scoring service (read by `gunicorn -c gunicorn.conf.py 'api:create_app()'`)."""

import os

# Every worker loads the model once in create_app (no preload: each process owns its LightGBM handles).
bind = os.environ.get("BOTLENS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("BOTLENS_WORKERS", "2"))
worker_class = "sync"
threads = 1
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 0
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("BOTLENS_LOG_LEVEL", "info")
