"""API keys, quotas, CORS, request ids, logs and metrics through the test client."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.access import is_public, presented_key
from store.keys import KeyStore, mint
from tests import servers, synthetic


def _body(n_posts: int = 5) -> dict[str, Any]:
    return synthetic.human(3, np.random.default_rng(3), n_posts)


@pytest.fixture()
def keyed(app_factory: Any, tmp_path: Any) -> tuple[Any, str, str]:
    good, good_record = mint("pipeline", 5)
    revoked, revoked_record = mint("old", 5)
    records = [asdict(good_record), {**asdict(revoked_record), "revoked": True}]
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(records))
    app = app_factory(AUTH_ENABLED=True, API_KEYS_FILE=str(path))
    return app.test_client(), good, revoked


def test_keys_stored_as_salted_hashes_only() -> None:
    key, record = mint("x", 10)
    assert key.split("_", 2)[2] not in json.dumps(asdict(record))
    other_key, other = mint("x", 10)
    assert record.salt != other.salt and record.sha256 != other.sha256
    store = KeyStore([record])
    assert store.verify(key).name == "x"


def test_auth_missing_key_401(keyed: tuple[Any, str, str]) -> None:
    client, _, _ = keyed
    response = client.post("/v1/score", json=_body())
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", [{"Authorization": "Bearer nope"}, {"X-API-Key": "bl_00000000_wrong"}, {"Authorization": "Basic abc"}]
)
def test_auth_wrong_key_401(keyed: tuple[Any, str, str], header: dict[str, str]) -> None:
    client, _, _ = keyed
    assert client.post("/v1/score", json=_body(), headers=header).status_code == 401


def test_auth_wrong_secret_for_known_id_401(keyed: tuple[Any, str, str]) -> None:
    client, good, _ = keyed
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    assert client.post("/v1/score", json=_body(), headers={"X-API-Key": tampered}).status_code == 401


def test_auth_revoked_key_403(keyed: tuple[Any, str, str]) -> None:
    client, _, revoked = keyed
    response = client.post("/v1/score", json=_body(), headers={"Authorization": f"Bearer {revoked}"})
    assert response.status_code == 403 and response.get_json()["title"] == "Forbidden"


def test_auth_valid_key_both_headers_200(keyed: tuple[Any, str, str]) -> None:
    client, good, _ = keyed
    assert client.post("/v1/score", json=_body(), headers={"Authorization": f"Bearer {good}"}).status_code == 200
    assert client.post("/v1/score", json=_body(), headers={"X-API-Key": good}).status_code == 200
    assert client.get("/health/ready").status_code == 200  # Probes need no key.


def test_quota_429_with_retry_after_and_batch_counts_per_account(keyed: tuple[Any, str, str]) -> None:
    client, good, _ = keyed
    headers = {"X-API-Key": good}
    batch = client.post("/v1/score/batch", json={"accounts": [_body(), _body(), _body(), _body()]}, headers=headers)
    assert batch.status_code == 200
    assert client.post("/v1/score", json=_body(), headers=headers).status_code == 200  # 5 of 5 used.
    response = client.post("/v1/score", json=_body(), headers=headers)
    assert response.status_code == 429 and response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0


def test_quota_anonymous_when_auth_off(app_factory: Any) -> None:
    client = app_factory(ANONYMOUS_QUOTA_PER_MINUTE=2).test_client()
    assert [client.post("/v1/score", json=_body()).status_code for _ in range(3)] == [200, 200, 429]


def test_quota_limiter_absent_when_nothing_is_limited(app_factory: Any) -> None:
    app = app_factory()
    assert app.extensions["botlens.access"]["limiter"] is None
    responses = [app.test_client().post("/v1/score", json=_body()) for _ in range(5)]
    assert all(r.status_code == 200 and "X-RateLimit-Limit" not in r.headers for r in responses)
    limited = app_factory(ANONYMOUS_QUOTA_PER_MINUTE=50).test_client().post("/v1/score", json=_body())
    assert limited.headers["X-RateLimit-Limit"] == "50"


def test_auth_enabled_without_keys_refuses_to_start(app_factory: Any) -> None:
    with pytest.raises(ValueError, match="no API keys"):
        app_factory(AUTH_ENABLED=True)


def test_presented_key_reads_both_headers() -> None:
    assert presented_key({"Authorization": "Bearer abc"}) == "abc"
    assert presented_key({"X-API-Key": "def"}) == "def"
    assert presented_key({}) is None


def test_cors_for_extension_origin(app_factory: Any) -> None:
    origin = "chrome-extension://abcdefghijklmnop"
    client = app_factory(CORS_ORIGINS=[origin]).test_client()
    preflight = client.options(
        "/v1/score",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") == origin
    other = client.post("/v1/score", json=_body(), headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_request_id_echoed_or_generated(client: Any) -> None:
    echoed = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["X-Request-ID"]) == 32


def test_access_log_is_json_with_request_id_and_no_post_text(client: Any) -> None:
    from pythonjsonlogger.json import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("botlens.access")
    logger.addHandler(handler)
    try:
        body = _body(3)
        body["posts"][0]["text"] = "SECRET-POST-TEXT"
        client.post("/v1/score", json=body, headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(line.get("request_id") == "req-42" and line.get("status") == 200 for line in lines)
    assert "SECRET-POST-TEXT" not in stream.getvalue()


def test_metrics_count_requests_and_scores(client: Any) -> None:
    client.post("/v1/score", json=_body())
    client.post("/v1/score", data="{", content_type="application/json")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'botlens_requests_total{method="POST",route="/v1/score",status="200"}' in text
    assert 'botlens_requests_total{method="POST",route="/v1/score",status="400"}' in text
    assert "botlens_score_bucket" in text and 'botlens_model_info{version="test-0"} 1.0' in text


def test_every_route_needs_a_key_unless_declared_public(keyed: tuple[Any, str, str]) -> None:
    client, good, _ = keyed
    app = client.application
    rules = list(app.url_map.iter_rules())
    public = {r.rule for r in rules if is_public(app, r.endpoint)}
    # The labeler's routes are public by the AT Protocol, the webhook receiver by its signature.
    assert public == {
        "/health/live",
        "/health/ready",
        "/metrics",
        "/openapi.yaml",
        "/",
        "/static/<path:name>",
        "/favicon.ico",
        "/xrpc/com.atproto.label.queryLabels",
        "/xrpc/com.atproto.label.subscribeLabels",
        "/v1/webhooks/mastodon",
    }
    for rule in rules:
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        path = rule.rule.replace("<", "").replace(">", "")
        anonymous = client.open(path, method=method, json={})
        keyed_response = client.open(path, method=method, json={}, headers={"X-API-Key": good})
        if rule.rule in public:
            assert anonymous.status_code not in (401, 403), rule.rule
        else:
            assert anonymous.status_code == 401, f"{method} {rule.rule} answered {anonymous.status_code} without a key"
            assert keyed_response.status_code != 401, rule.rule


def test_new_route_is_protected_by_default(app_factory: Any, tmp_path: Any) -> None:
    from flask import Blueprint

    key, record = mint("x", 5)
    path = tmp_path / "keys.json"
    path.write_text(json.dumps([asdict(record)]))
    app = app_factory(AUTH_ENABLED=True, API_KEYS_FILE=str(path))
    extra = Blueprint("extra", __name__)
    extra.add_url_rule("/v1/new", "new", lambda: {"ok": True})
    # Registered after create_app: the check runs per request on the view's declaration, not on a list.
    app.register_blueprint(extra)
    client = app.test_client()
    assert client.get("/v1/new").status_code == 401
    assert client.get("/v1/new", headers={"X-API-Key": key}).status_code == 200


def test_quota_batch_larger_than_whole_quota_never_fits(keyed: tuple[Any, str, str]) -> None:
    client, good, _ = keyed
    response = client.post("/v1/score/batch", json={"accounts": [_body()] * 6}, headers={"X-API-Key": good})
    assert response.status_code == 429 and response.mimetype == "application/problem+json"
    assert "never fit" in response.get_json()["detail"] and "at most 5" in response.get_json()["detail"]
    assert "Retry-After" not in response.headers
    # Nothing was counted: the whole quota is still there.
    ok = client.post("/v1/score/batch", json={"accounts": [_body()] * 5}, headers={"X-API-Key": good})
    assert ok.status_code == 200


def test_quota_retry_after_only_on_429(keyed: tuple[Any, str, str]) -> None:
    client, good, _ = keyed
    response = client.post("/v1/score", json=_body(), headers={"X-API-Key": good})
    assert response.status_code == 200 and "X-RateLimit-Remaining" in response.headers
    assert "Retry-After" not in response.headers


def _workers(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


@pytest.mark.skipif(
    not servers.GUNICORN.exists() or not Path("/proc/self/task").is_dir(), reason="needs gunicorn and Linux /proc"
)
def test_quota_exact_across_two_gunicorn_workers(small_model: Any, public_key: Any, tmp_path: Any) -> None:
    alternating, alternating_record = mint("alternating", 3)
    burst, burst_record = mint("burst", 3)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps([asdict(alternating_record), asdict(burst_record)]))
    env = {"BOTLENS_AUTH_ENABLED": "true", "BOTLENS_API_KEYS_FILE": str(keys)}
    body = json.dumps(_body()).encode()
    with servers.gunicorn(small_model, public_key, tmp_path, workers=2, env=env) as (base, server):
        first, second = _workers(server.pid)
        url = f"{base}/v1/score"
        # Each worker in turn is the only one taking requests (the other is stopped), so the key's
        # requests are split between them for certain: per-process counters would let 4 of 4 through.
        served = []
        for stopped in (first, second):
            os.kill(stopped, signal.SIGSTOP)
            try:
                served += [servers.post(url, body, {"X-API-Key": alternating}) for _ in range(2)]
            finally:
                os.kill(stopped, signal.SIGCONT)
        # And a concurrent burst from another key.
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda _: servers.post(url, body, {"X-API-Key": burst}), range(10)))
    assert [status for status, _, _ in served] == [200, 200, 200, 429]
    assert [headers["X-RateLimit-Remaining"] for _, _, headers in served[:3]] == ["2", "1", "0"]
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [200] * 3 + [429] * 7, statuses
    remaining = sorted(int(headers["X-RateLimit-Remaining"]) for status, _, headers in answers if status == 200)
    assert remaining == [0, 1, 2]
    assert all("Retry-After" in headers for status, _, headers in answers + served if status == 429)
    assert all("Retry-After" not in headers for status, _, headers in answers + served if status == 200)
