"""Side-by-side throughput benchmark and in-process stage costs: ``python -m loadtests.bench``.

1. Starts the scoring service and the bare parse-only endpoint (``loadtests/bare.py``) under the same
   ``api.server``, one after the other, and drives each with the same wrk load (16 connections,
   a real 200-post account body), ``--runs`` times alternating; prints req/s, p50/p95/p99 latency and
   the score/bare ratio (medians), and the workers' resident memory.
2. In process: cold start (import + model load), per-stage cost for one 200-post account (parse,
   validate, prepare, features, predict, explain, serialise), and batch throughput (accounts/s
   through the batch code path with explanations) for 200-post and profile-only accounts.

Needs ``wrk`` (Debian package) and the shared data (``python -m loadtests.sample`` runs if needed).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from loadtests import sample
from loadtests.proxy import nginx

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open("{body}", "rb"):read()
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("RESULT %d %d %f %f %f %f\\n", summary.requests, errors, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), summary.duration))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn process serving ``app`` with the project's config on a free port."""

    def __init__(self, app: str, workers: int, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.metrics = tempfile.mkdtemp(prefix="bench-metrics-")
        env = {
            **os.environ,
            # The score store (on by default) writes into a folder of this run, not the user's.
            "BOTLENS_STORE_DIR": tempfile.mkdtemp(prefix="bench-store-"),
            **(extra_env or {}),
            "BOTLENS_BIND": f"127.0.0.1:{self.port}",
            "BOTLENS_WORKERS": str(workers),
            "BOTLENS_LOG_LEVEL": "warning",
            "PROMETHEUS_MULTIPROC_DIR": self.metrics,
        }
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.proc = subprocess.Popen(
            [str(gunicorn), "-c", "python:api.server", app],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, body: bytes) -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                req = urllib.request.Request(
                    self.url + "/v1/score", data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(req, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("server did not start")

    def worker_rss_mb(self) -> list[float]:
        out = subprocess.run(
            ["ps", "-o", "pid=,rss=", "--ppid", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(line.split()[1]) / 1024 for line in out.strip().splitlines() if line.strip()]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def wrk(url: str, body_path: Path, seconds: int, connections: int) -> dict[str, float]:
    """One wrk run; latencies in ms."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT.replace("{body}", str(body_path)))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url + "/v1/score"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    if not match:
        raise RuntimeError(out)
    n, errors, p50, p95, p99, duration_us = (float(x) for x in match.groups())
    return {"rps": n / (duration_us / 1e6), "errors": errors, "p50": p50 / 1000, "p95": p95 / 1000, "p99": p99 / 1000}


def http_side_by_side(
    bodies: dict[str, list[bytes]],
    runs: int,
    seconds: int,
    connections: int,
    workers: int,
    floor: bool = False,
    proxy: bool = False,
    store_off: bool = False,
) -> None:
    body = bodies["long"][0]
    body_path = Path(tempfile.mkstemp(suffix=".json")[1])
    body_path.write_bytes(body)
    print(
        f"HTTP: {len(body) / 1024:.0f} KB body of 200 posts, {connections} connections, {seconds}s x {runs} runs, "
        f"gunicorn {workers} workers"
    )
    apps: list[tuple[str, str, dict[str, str]]] = [
        ("bare", "loadtests.bare:create_app()", {}),
        ("score", "api.app:create_app()", {}),
    ]
    if store_off:
        # The same service without the score store: what keeping every result costs.
        apps.append(("score-nostore", "api.app:create_app()", {"BOTLENS_STORE_ENABLED": "false"}))
    if floor:
        # The scoring app without feature extraction (loadtests/floor.py): the ceiling of everything else.
        apps.append(("floor", "loadtests.floor:create_app()", {}))
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in apps}
    rss: dict[str, list[float]] = {}
    if proxy:
        results.update({f"{name}+nginx": [] for name, _, _ in apps})
    for _ in range(runs):
        for name, app, extra_env in apps:
            server = Server(app, workers, extra_env)
            try:
                server.wait(body)
                results[name].append(wrk(server.url, body_path, seconds, connections))
                rss[name] = server.worker_rss_mb()
                if proxy:
                    # The same server behind the shipped nginx (deploy/nginx.conf), as the image runs it.
                    with tempfile.TemporaryDirectory() as folder, nginx(Path(folder), server.url[7:]) as url:
                        results[f"{name}+nginx"].append(wrk(url, body_path, seconds, connections))
                    rss[f"{name}+nginx"] = rss[name]
            finally:
                server.stop()
    for name, rows in results.items():
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        memory = ", ".join(f"{m:.0f}" for m in rss[name])
        each = ", ".join(f"{r['rps']:.0f}" for r in rows)
        print(
            f"  {name:13s} req/s {med['rps']:8.1f}  p50 {med['p50']:6.1f} ms  p95 {med['p95']:6.1f} ms  "
            f"p99 {med['p99']:6.1f} ms  errors {med['errors']:.0f}  worker RSS {memory} MB  (runs: {each} req/s)"
        )
    for name in results:
        if not name.startswith("bare"):
            bare_name = "bare+nginx" if name.endswith("+nginx") else "bare"
            bare = statistics.median(r["rps"] for r in results[bare_name])
            ratio = statistics.median(r["rps"] for r in results[name]) / bare
            print(f"  {name}/{bare_name} throughput ratio {ratio:.2f}")


def _timed(fn: Any, repeat: int) -> tuple[float, Any]:
    # Best of the repeats: the machine's noise only ever adds time.
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def batch_bodies(bodies: dict[str, list[bytes]], kind: str) -> list[bytes]:
    """The batch figures' input: 1,000 accounts cycling through the first 200 sample bodies of a kind."""
    return (bodies[kind][:200] * 5)[:1000]


def _batch_process(kind: str, barrier: Any, passes: int) -> float:
    """One process of the parallel batch figure: load as a worker does, wait for the others, score."""
    from model.pipeline import score_slots
    from model.problems import item_problem
    from model.scoring import Scorer
    from model.validation import Validator

    scorer, validator = Scorer.load(), Validator.build()
    raws = batch_bodies(sample.load(), kind)
    score_slots(scorer, validator, "native", raws[:50], time.time(), 5, problem=item_problem)
    gc.freeze()
    barrier.wait()
    start = time.perf_counter()
    for _ in range(passes):
        score_slots(scorer, validator, "native", raws, time.time(), 5, problem=item_problem)
    return time.perf_counter() - start


def parallel_batch(processes: int, passes: int = 2) -> None:
    """Accounts/s of the batch path in as many processes as workers, all at once (the 'on N cores' figure)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    for kind, label in (("long", "200-post"), ("profile", "profile-only")):
        with context.Manager() as manager:
            barrier = manager.Barrier(processes)
            with context.Pool(processes) as pool:
                elapsed = pool.starmap(_batch_process, [(kind, barrier, passes)] * processes)
        total = processes * passes * 1000 / max(elapsed)
        print(f"batch path ({label}, {processes} processes at once, with explanations): {total:8.0f} accounts/s")


def in_process(bodies: dict[str, list[bytes]], floor: bool = False) -> None:
    start = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; t=time.perf_counter(); from api.app import create_app; "
            "app=create_app(); print(time.perf_counter()-t)",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    print(
        f"cold start (import + model load, fresh process): {float(out.stdout.strip().splitlines()[-1]):.2f} s "
        f"(process total {time.perf_counter() - start:.2f} s)"
    )

    from model.pipeline import score_slots
    from model.problems import item_problem
    from model.results import result
    from model.scoring import Scorer
    from model.validation import Validator

    scorer = Scorer.load()
    validator = Validator.build()
    schema, fast = validator.request_schema, validator.fast
    long = bodies["long"][:100]
    n = len(long)
    now = time.time()
    t_parse, parsed = _timed(lambda: [orjson.loads(b) for b in long], 5)
    t_valid, _ = _timed(lambda: [schema.load(p) for p in parsed], 3)
    t_fast, items = _timed(lambda: [fast.decode(b, now) for b in long], 5)
    t_feat, X = _timed(lambda: scorer.matrix(items), 5)
    t_pred, _ = _timed(lambda: scorer.probabilities(X), 5)
    t_expl1, _ = _timed(lambda: [scorer.raw_and_contributions(X[i : i + 1]) for i in range(n)], 5)
    t_explb, _ = _timed(lambda: scorer.raw_and_contributions(X), 5)
    t_score1, _ = _timed(lambda: [scorer.score([i]) for i in items], 5)
    t_score, scored = _timed(lambda: scorer.score(items), 5)
    t_ser, _ = _timed(lambda: [orjson.dumps(result(scorer.version, i, s)) for i, s in zip(items, scored)], 5)
    print("per-stage cost, one 200-post account (ms, best of repeats):")
    for name, t in (
        ("parse only (orjson, for reference)", t_parse),
        ("validate (marshmallow, errors only)", t_valid),
        ("decode + validate (msgspec fast path)", t_fast),
        ("features", t_feat),
        ("predict 3 heads, batch", t_pred),
        ("explain, one row at a time", t_expl1),
        ("explain, batch", t_explb),
        ("score(): features + explain + format, one account", t_score1),
        ("score(): the same, batch", t_score),
        ("serialise (orjson)", t_ser),
    ):
        print(f"  {name:52s} {t / n * 1000:7.3f}")
    # As the gunicorn workers do after loading (api.server): the model and modules leave the GC's scans.
    gc.freeze()
    for kind, label in (("long", "200-post"), ("profile", "profile-only")):
        raws = batch_bodies(bodies, kind)
        t, _ = _timed(lambda: score_slots(scorer, validator, "native", raws, time.time(), 5, problem=item_problem), 3)
        print(
            f"batch path ({label}, 1000 accounts from bytes, one process, with explanations): "
            f"{1000 / t:8.0f} accounts/s"
        )
    if floor:
        # Everything but feature extraction: the ceiling a faster extractor could reach.
        from loadtests.floor import skip_features

        floor_scorer = Scorer.load()
        skip_features(floor_scorer, fast)
        raws = batch_bodies(bodies, "long")
        t, _ = _timed(
            lambda: score_slots(floor_scorer, validator, "native", raws, time.time(), 5, problem=item_problem), 3
        )
        print(f"batch path (200-post, features replaced by a fixed row, one process): {1000 / t:8.0f} accounts/s")


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark and prints its figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--floor", action="store_true", help="also serve the app without feature extraction")
    parser.add_argument("--proxy", action="store_true", help="also measure each app behind the shipped nginx")
    parser.add_argument("--store-off", action="store_true", help="also measure the service with the store off")
    args = parser.parse_args(argv)
    bodies = sample.load()
    if not args.skip_in_process:
        in_process(bodies, args.floor)
        parallel_batch(args.workers)
    if not args.skip_http:
        http_side_by_side(
            bodies, args.runs, args.seconds, args.connections, args.workers, args.floor, args.proxy, args.store_off
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
