"""CPU cost of one ``/v1/score`` request in process, as a worker runs it: ``python loadtests/request_cost.py``.

Builds the app the way a gunicorn worker does (``create_app()``, then ``api.server``'s
``post_worker_init``: the collector frozen and its thresholds set), then calls the WSGI app directly with
the benchmark's 200-post body, no HTTP and no load generator. Prints the best per-request time of
``--repeats`` passes of ``--requests`` requests. Over HTTP on a shared 2-core machine the same app's
runs spread by up to a factor of two (docs/performance.md); this figure resolves changes of a few
percent. To compare two commits, run it from a worktree of each, alternating in fresh processes:
``cd <worktree> && PYTHONPATH=. python <this file>`` (the worktree's own code is imported).
"""

from __future__ import annotations

import argparse
import io
import os
import runpy
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any


def main(argv: Sequence[str] | None = None) -> int:
    """Prints the best per-request time in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    # A store folder of this run and warnings only, as the HTTP benchmark's servers; set before the app reads them.
    os.environ["BOTLENS_STORE_DIR"] = tempfile.mkdtemp(prefix="request-cost-store-")
    os.environ["BOTLENS_LOG_LEVEL"] = "warning"
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="request-cost-metrics-")
    worker_settings = runpy.run_module("api.server")

    from api.app import create_app
    from loadtests import sample

    app = create_app()
    worker_settings["post_worker_init"](None)
    body = sample.load()["long"][0]

    def request() -> None:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/v1/score",
            "QUERY_STRING": "",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
        }
        status: list[str] = []

        def start_response(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(code)
            return lambda data: None

        response = app.wsgi_app(environ, start_response)
        b"".join(response)
        getattr(response, "close", lambda: None)()
        if not status or not status[0].startswith("200"):
            raise RuntimeError(f"the benchmark body was not scored: {status}")

    for _ in range(args.requests // 2):
        request()
    best = float("inf")
    for _ in range(args.repeats):
        started = time.perf_counter()
        for _ in range(args.requests):
            request()
        best = min(best, (time.perf_counter() - started) / args.requests)
    print(f"one 200-post /v1/score request in process: {best * 1e3:.3f} ms (best of {args.repeats} x {args.requests})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
