"""Realistic traffic for the scoring service.

Run (after ``python -m loadtests.sample`` and with the service on :8000)::

    locust -f loadtests/locustfile.py --headless -u 16 -r 16 -t 5m --host http://127.0.0.1:8000 \\
        --csv loadtests/results/locust --only-summary

Mix per user: single 200-post accounts, small accounts, profile-only requests, batches of 100, and a
small share of invalid requests that must get a 4xx (counted as success when they do).
"""

from __future__ import annotations

import os
import random

import orjson
from locust import FastHttpUser, between, constant_throughput, task

from loadtests import sample

HEADERS = {"Content-Type": "application/json"}


def _load() -> dict[str, list[bytes]]:
    out = sample.load()
    mixed = [orjson.loads(b) for bodies in out.values() for b in bodies]
    out["batch"] = [orjson.dumps({"accounts": random.Random(i).sample(mixed, 100)}) for i in range(20)]
    return out


BODIES = _load()
INVALID = [
    (b"{not json", 400),
    (orjson.dumps({"account": {"id": "1", "colour": "red"}}), 422),
    (orjson.dumps({"account": {"id": "1", "followers_count": -1}}), 422),
    (orjson.dumps({"account": {"id": "1"}, "posts": [{"created_at": "yesterday"}]}), 422),
]


class ScoringClient(FastHttpUser):
    """A pipeline or extension calling the API."""

    # BOTLENS_LOCUST_RPS_PER_USER paces each user (for a run at a set share of capacity); unset = flat out.
    _rate = float(os.environ.get("BOTLENS_LOCUST_RPS_PER_USER", "0") or 0)
    wait_time = constant_throughput(_rate) if _rate > 0 else between(0, 0.05)

    @task(6)
    def score_long(self) -> None:
        self.client.post("/v1/score", data=random.choice(BODIES["long"]), headers=HEADERS, name="score 200 posts")

    @task(3)
    def score_small(self) -> None:
        self.client.post("/v1/score", data=random.choice(BODIES["small"]), headers=HEADERS, name="score small")

    @task(2)
    def score_profile(self) -> None:
        self.client.post("/v1/score", data=random.choice(BODIES["profile"]), headers=HEADERS, name="score profile-only")

    @task(1)
    def score_batch(self) -> None:
        with self.client.post(
            "/v1/score/batch",
            data=random.choice(BODIES["batch"]),
            headers=HEADERS,
            name="batch of 100",
            catch_response=True,
        ) as response:
            # Every slot must hold a scored result: the sampled accounts are all valid.
            results = orjson.loads(response.content).get("results", []) if response.status_code == 200 else []
            if len(results) == 100 and all("scores" in r for r in results):
                response.success()
            else:
                response.failure(f"status {response.status_code}, {sum('scores' in r for r in results)} of 100 scored")

    @task(1)
    def invalid(self) -> None:
        body, expected = random.choice(INVALID)
        with self.client.post(
            "/v1/score", data=body, headers=HEADERS, name="invalid (expects 4xx)", catch_response=True
        ) as response:
            if response.status_code == expected:
                response.success()
            else:
                response.failure(f"expected {expected}, got {response.status_code}")
