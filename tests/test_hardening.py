"""Small requests that used to cost minutes, memory or the whole batch, and what the service exposes."""

from __future__ import annotations

import gzip
import json
import socket
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests import servers, synthetic


def _body(n_posts: int = 3) -> dict[str, Any]:
    return synthetic.human(3, np.random.default_rng(3), n_posts)


@pytest.mark.parametrize("element", [b"1", b"{}", b'"x"'])
def test_a_million_element_post_list_is_refused_at_once(client: Any, element: bytes) -> None:
    body = b'{"account":{"id":"1"},"posts":[' + b",".join([element] * 1_000_000) + b"]}"
    tracemalloc.start()
    try:
        response = client.post("/v1/score", data=body, content_type="application/json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"posts": ["Longer than maximum length 1000."]}
    assert len(response.data) < 1000
    # Parsing the body is the only per-element work (it was a gigabyte of per-item errors).
    assert peak < 150 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_an_over_long_hashtag_list_is_refused_whole(client: Any) -> None:
    post = {"created_at": "2020-01-01T00:00:00Z", "hashtags": [7] * 100_000}
    response = client.post("/v1/score", json={"account": {"id": "1"}, "posts": [post]})
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"posts.0.hashtags": ["Longer than maximum length 200."]}


def test_error_reports_are_bounded_with_a_count_of_the_rest(client: Any) -> None:
    posts = [{"created_at": "nope"} for _ in range(300)]
    response = client.post("/v1/score", json={"account": {"id": "1"}, "posts": posts})
    body = response.get_json()
    assert response.status_code == 422 and len(body["errors"]) == 50
    assert "300 fields have errors; the first 50 are listed" in body["detail"]


def test_a_batch_of_over_long_items_answers_each_slot_briefly(client: Any) -> None:
    item = b'{"account":{"id":"1"},"posts":[' + b",".join([b"{}"] * 2000) + b"]}"
    body = b'{"accounts":[' + b",".join([item] * 1000) + b"]}"
    response = client.post("/v1/score/batch", data=body, content_type="application/json")
    results = response.get_json()["results"]
    assert response.status_code == 200 and len(results) == 1000
    assert all(r["status"] == 422 and r["errors"] == {"posts": ["Longer than maximum length 1000."]} for r in results)
    assert len(response.data) < 400_000


@pytest.mark.parametrize("depth, status", [(1000, 200), (5000, 400)])
def test_deep_nesting_inside_a_batch_item_is_a_4xx(client: Any, depth: int, status: int) -> None:
    nested = b'{"a":' * depth + b"1" + b"}" * depth
    body = b'{"accounts":[' + nested + b',{"account":{"id":"2"}}]}'
    response = client.post("/v1/score/batch", data=body, content_type="application/json")
    assert response.status_code == status, response.data[:300]
    if status == 200:
        results = response.get_json()["results"]
        assert results[0]["status"] == 422 and results[1]["account_id"] == "2"
    else:
        assert response.mimetype == "application/problem+json"


def test_a_lone_surrogate_fails_only_its_own_slot(client: Any) -> None:
    body = b'{"accounts":[{"account":{"id":"\\ud800"}},' + json.dumps(_body()).encode() + b"]}"
    response = client.post("/v1/score/batch", data=body, content_type="application/json")
    assert response.status_code == 200
    first, second = response.get_json()["results"]
    assert first["status"] == 400 and first["index"] == 0 and "surrogate" in first["detail"]
    assert second["account_id"] == "h3"


def test_an_invalid_envelope_is_validated_once_with_quotas_on(app_factory: Any, monkeypatch: Any) -> None:
    from model import validation

    calls = []
    original = validation.load

    def counting(schema: Any, data: Any) -> Any:
        calls.append(schema)
        return original(schema, data)

    monkeypatch.setattr(validation, "load", counting)
    client = app_factory(ANONYMOUS_QUOTA_PER_MINUTE=100).test_client()
    response = client.post("/v1/score/batch", json={"accounts": [1] * 5000})
    assert response.status_code == 422 and len(calls) == 1


def test_gzip_bodies_are_inflated_within_the_limit(app_factory: Any) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=200_000).test_client()
    plain = json.dumps(_body(20)).encode()
    ok = client.post(
        "/v1/score", data=gzip.compress(plain), content_type="application/json", headers={"Content-Encoding": "gzip"}
    )
    assert ok.status_code == 200 and ok.get_json()["account_id"] == "h3"
    bomb = gzip.compress(b'{"account":{"id":"1"},"x":"' + b"a" * 5_000_000 + b'"}')
    assert len(bomb) < 200_000
    too_big = client.post("/v1/score", data=bomb, content_type="application/json", headers={"Content-Encoding": "gzip"})
    assert too_big.status_code == 413 and too_big.mimetype == "application/problem+json"
    for encoding, data in (("br", plain), ("gzip", plain)):
        refused = client.post(
            "/v1/score", data=data, content_type="application/json", headers={"Content-Encoding": encoding}
        )
        assert refused.status_code == 415, encoding


def test_cors_responses_vary_on_origin(app_factory: Any) -> None:
    client = app_factory(CORS_ORIGINS=["chrome-extension://abc"]).test_client()
    for headers in ({"Origin": "chrome-extension://abc"}, {"Origin": "https://other.example"}, {}):
        response = client.post("/v1/score", json=_body(), headers=headers)
        assert "Origin" in response.headers.get("Vary", ""), headers


def test_invented_methods_add_no_metric_series(client: Any) -> None:
    for n in range(30):
        client.open("/health/live", method=f"X{n:03d}")
    text = client.get("/metrics").get_data(as_text=True)
    assert "X000" not in text and 'method="other"' in text


def test_readiness_shows_no_paths_or_checksums(app_factory: Any, tmp_path: Path) -> None:
    broken = tmp_path / "card.json"
    broken.write_text("{}")
    ready = app_factory(MODEL_CARD_PATH=str(broken)).test_client().get("/health/ready")
    text = ready.get_data(as_text=True)
    assert ready.status_code == 503 and str(tmp_path) not in text and "sha256" not in text


def _raw(base: str, payload: bytes) -> bytes:
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.skipif(not servers.GUNICORN.exists(), reason="gunicorn not installed")
def test_chunked_bodies_over_the_limit_get_413_and_keys_in_urls_stay_out_of_logs(
    small_model: tuple[Path, Path], public_key: Path, tmp_path: Path
) -> None:
    log = tmp_path / "gunicorn.log"
    env = {"BOTLENS_MAX_CONTENT_LENGTH": "100000"}
    secret = "bl_0123abcd_S3cretPartOfTheKey"
    with servers.gunicorn(small_model, public_key, tmp_path, env=env, log=log) as (base, _):
        chunk = b"a" * 50_000
        chunked = (
            b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        chunked += b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
        over = _raw(base, chunked)
        small = json.dumps(_body()).encode()
        fits = _raw(
            base,
            b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small),
        )
        _raw(base, f"GET /v1/score?api_key={secret} HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode())
    assert over.startswith(b"HTTP/1.1 413") and b"application/problem+json" in over
    assert fits.startswith(b"HTTP/1.1 200")
    text = log.read_text()
    assert "Invalid" in text  # gunicorn did log the bad request line ...
    assert "S3cretPartOfTheKey" not in text  # ... without the key
