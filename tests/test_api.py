"""The v1 HTTP contract through the Flask test client: success shape and every error class."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import numpy as np
import pytest

from api.observability import RequestIdFilter
from api.schemas import ScoreResponseSchema
from tests import synthetic

PROBLEM = "application/problem+json"


def _body(n_posts: int = 200) -> dict[str, Any]:
    return synthetic.bot(1, np.random.default_rng(2), n_posts)


def _assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


def test_score_200_posts_returns_every_field(client: Any) -> None:
    response = client.post("/v1/score", json=_body(200))
    assert response.status_code == 200
    body = response.get_json()
    ScoreResponseSchema().load(body)  # Conforms to the documented response schema (unknown keys rejected).
    assert body["account_id"] == "b1" and body["platform"] == "twitter" and body["n_posts"] == 200
    assert body["model_version"] == "test-0"
    assert set(body["scores"]) == {"bot", "troll", "hijacked"}
    assert body["label"] in {"bot", "troll", "hijacked", "human"}
    for name in ("bot", "troll", "hijacked"):
        top = body["explanations"][name]["top_features"]
        assert 1 <= len(top) <= 5
        assert all({"feature", "value", "contribution", "reason"} <= set(f) for f in top)
        assert all(isinstance(f["reason"], str) and f["reason"] for f in top)
    assert body["scores"]["bot"] > 0.5 and body["label"] == "bot"


def test_score_profile_only_warns(client: Any) -> None:
    body = _body(0)
    response = client.post("/v1/score", json=body)
    assert response.status_code == 200
    result = response.get_json()
    assert result["n_posts"] == 0
    assert any("profile alone" in w for w in result["warnings"])
    assert result["observed_at"] == "2020-09-13T12:26:40Z"


def test_score_offsets_normalised_to_utc(client: Any) -> None:
    body = {
        "account": {"id": "1", "created_at": "2019-01-01T03:00:00+03:00"},
        "posts": [{"created_at": "2020-01-01T05:00:00+05:00"}],
    }
    result = client.post("/v1/score", json=body).get_json()
    assert result["observed_at"] == "2020-01-01T00:00:00Z"


def test_score_lang_variants_accepted(client: Any) -> None:
    body = {"account": {"id": "1", "lang": "en-gb"}, "posts": [{"created_at": "2020-01-01T00:00:00Z", "lang": "in"}]}
    assert client.post("/v1/score", json=body).status_code == 200


def test_score_warns_about_posts_after_observed_at(client: Any) -> None:
    body = {
        "account": {"id": "1"},
        "observed_at": "2020-01-01T00:00:00Z",
        "posts": [{"created_at": "2020-01-01T06:00:00Z"}, {"created_at": "2019-12-31T00:00:00Z"}],
    }
    result = client.post("/v1/score", json=body).get_json()
    assert result["n_posts"] == 2
    assert any("after observed_at" in w for w in result["warnings"])


def test_score_malformed_json_400(client: Any) -> None:
    _assert_problem(client.post("/v1/score", data="{not json", content_type="application/json"), 400)


def test_score_body_too_large_413(app_factory: Any) -> None:
    client = app_factory(MAX_CONTENT_LENGTH=1000).test_client()
    _assert_problem(client.post("/v1/score", json=_body(50)), 413)


def test_score_wrong_content_type_415(client: Any) -> None:
    _assert_problem(client.post("/v1/score", data="account=1", content_type="application/x-www-form-urlencoded"), 415)
    _assert_problem(client.post("/v1/score", data='{"account": {"id": "1"}}'), 415)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"account": {"id": "1", "colour": "red"}}, "account.colour"),
        ({"account": {"id": "1"}, "extra": 1}, "extra"),
        ({"posts": []}, "account"),
        ({"account": {}}, "account.id"),
        ({"account": {"id": 5}}, "account.id"),
        ({"account": {"id": "1", "followers_count": -1}}, "account.followers_count"),
        ({"account": {"id": "1", "followers_count": 2**64}}, "account.followers_count"),
        ({"account": {"id": "1", "followers_count": "12"}}, "account.followers_count"),
        ({"account": {"id": "1", "followers_count": 1.5}}, "account.followers_count"),
        ({"account": {"id": "1", "verified": "yes"}}, "account.verified"),
        ({"account": {"id": "1", "verified": 1}}, "account.verified"),
        ({"account": {"id": "1", "created_at": "yesterday"}}, "account.created_at"),
        ({"account": {"id": "1", "created_at": "1999-01-01T00:00:00Z"}}, "account.created_at"),
        ({"account": {"id": "1"}, "posts": [{"text": "no time"}]}, "posts.0.created_at"),
        ({"account": {"id": "1"}, "posts": [{"created_at": "2400-01-01T00:00:00Z"}]}, "posts.0.created_at"),
        ({"account": {"id": "1"}, "posts": {"created_at": "2020-01-01T00:00:00Z"}}, "posts"),
        (
            {"account": {"id": "1"}, "posts": [{"created_at": "2020-01-01T00:00:00Z", "hashtags": "tag"}]},
            "posts.0.hashtags",
        ),
        ({"account": {"id": "1", "description": "x" * 10_001}}, "account.description"),
        (
            {"account": {"id": "1"}, "posts": [{"created_at": "2020-01-01T00:00:00Z", "mentions": ["a"] * 201}]},
            "posts.0.mentions",
        ),
    ],
)
def test_score_schema_violations_422_name_the_field(client: Any, body: dict[str, Any], field: str) -> None:
    problem = _assert_problem(client.post("/v1/score", json=body), 422)
    assert field in problem["errors"], problem


def test_score_not_an_object_422(client: Any) -> None:
    problem = _assert_problem(client.post("/v1/score", json=[1, 2]), 422)
    assert "body" in problem["errors"]


def test_score_too_many_posts_422(app_factory: Any) -> None:
    client = app_factory(MAX_POSTS=10).test_client()
    problem = _assert_problem(client.post("/v1/score", json=_body(11)), 422)
    assert "posts" in problem["errors"]
    assert client.post("/v1/score", json=_body(10)).status_code == 200


def test_unknown_route_404_and_wrong_method_405(client: Any) -> None:
    _assert_problem(client.get("/v1/nothing"), 404)
    response = client.get("/v1/score")
    _assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_no_model_503_and_health(app_factory: Any, tmp_path: Any) -> None:
    app = app_factory(MODEL_PATH=str(tmp_path / "missing.joblib"))
    client = app.test_client()
    assert client.get("/health/live").status_code == 200
    ready = client.get("/health/ready")
    assert ready.status_code == 503 and "(artifact-missing)" in ready.get_json()["detail"]
    assert str(tmp_path) not in ready.get_data(as_text=True)  # paths stay in the log
    _assert_problem(client.post("/v1/score", json=_body(3)), 503)
    _assert_problem(client.post("/v1/score/batch", json={"accounts": [_body(3)]}), 503)
    _assert_problem(client.get("/v1/model"), 503)


def test_health_ready_200_with_model(client: Any) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200 and response.get_json()["model_version"] == "test-0"


def test_internal_error_500_leaks_nothing(app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    app = app_factory()
    scorer = app.extensions["botlens"].scorer

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret path /etc/passwd")

    monkeypatch.setattr(scorer, "score", boom)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(request_id)s %(message)s"))
    handler.addFilter(RequestIdFilter())
    logging.getLogger("api").addHandler(handler)
    try:
        response = app.test_client().post("/v1/score", json=_body(3), headers={"X-Request-ID": "err-7"})
    finally:
        logging.getLogger("api").removeHandler(handler)
    assert "err-7 unhandled error" in stream.getvalue()  # The error log carries the request id.
    problem = _assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert problem["title"] == "Internal Server Error"


def test_model_card_served(client: Any) -> None:
    card = client.get("/v1/model").get_json()
    assert card["version"] == "test-0"
    assert card["classes"] == ["bot", "troll", "hijacked"]
    assert set(card["thresholds"]) == {"bot", "troll", "hijacked"}
    assert {f["name"] for f in card["features"]} >= {
        "posts_per_day",
        "office_share_best",
        "zone_contradiction_hours",
        "drift_language",
    }
    assert "library_versions" in card and "lightgbm" in card["library_versions"]


def test_config_from_prefixed_environment(app_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOTLENS_MAX_POSTS", "3")
    client = app_factory().test_client()
    assert client.post("/v1/score", json=_body(4)).status_code == 422


@pytest.mark.parametrize("observed", [None, "2020-01-02T03:04:05.898Z", "2020-01-02T06:04:05+03:00"])
def test_response_timestamps_have_one_form(client: Any, observed: Any) -> None:
    body: dict[str, Any] = {"account": {"id": "1"}}
    if observed:
        body["observed_at"] = observed
    result = client.post("/v1/score", json=body).get_json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["observed_at"]), result["observed_at"]
    if observed:
        assert result["observed_at"] == "2020-01-02T03:04:05Z"


@pytest.mark.parametrize("stamp", ["2020-01-01", "20200101T000000Z", "2020-W01-1T00:00:00Z", "2020-01-01T00:00:00"])
def test_timestamps_other_than_rfc3339_are_422(client: Any, stamp: str) -> None:
    response = client.post("/v1/score", json={"account": {"id": "1"}, "posts": [{"created_at": stamp}]})
    assert response.status_code == 422
    assert "RFC 3339" in response.get_json()["errors"]["posts.0.created_at"][0]


def test_post_references_accepted_and_imply_their_flags(client: Any) -> None:
    post = {
        "created_at": "2020-01-01T00:00:00Z",
        "retweet_of": {"id": "9", "author": "someone"},
        "quote_of": {"author": "other"},
        "reply_to": {"id": "7"},
    }
    body = {"account": {"id": "1", "declared_bot": False}, "posts": [post]}
    assert client.post("/v1/score", json=body).status_code == 200
    from model.validation import Validator

    item = Validator.build().request("native", body, 2e9)
    assert item.posts.retweet_of[0].author == "someone"
    assert bool(item.posts.is_retweet[0] and item.posts.is_quote[0] and item.posts.is_reply[0])


@pytest.mark.parametrize(
    "ref, field",
    [
        ({}, "posts.0.retweet_of"),
        ({"id": ""}, "posts.0.retweet_of.id"),
        ({"id": None}, "posts.0.retweet_of.id"),
        ({"url": "x"}, "posts.0.retweet_of.url"),
        ("9", "posts.0.retweet_of"),
    ],
)
def test_post_reference_needs_an_id_or_author(client: Any, ref: Any, field: str) -> None:
    body = {"account": {"id": "1"}, "posts": [{"created_at": "2020-01-01T00:00:00Z", "retweet_of": ref}]}
    response = client.post("/v1/score", json=body)
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()


def test_posts_from_a_later_crawl_move_the_snapshot_with_a_warning(client: Any) -> None:
    """A profile crawled months before its newest posts (cresci-2017's spambots) is scored, not refused."""
    body = {
        "account": {"id": "1", "created_at": "2012-01-01T00:00:00Z"},
        "observed_at": "2020-01-01T00:00:00Z",
        "posts": [{"created_at": "2020-03-01T00:00:00Z"}, {"created_at": "2020-05-01T12:00:00Z"}],
    }
    response = client.post("/v1/score", json=body)
    result = response.get_json()
    assert response.status_code == 200 and result["observed_at"] == "2020-05-01T12:00:00Z"
    assert any("newer than observed_at (2020-01-01T00:00:00Z)" in w for w in result["warnings"])
    # Within a day it is clock skew, as before; and posts after the server's clock stay refused.
    skew = {**body, "posts": [{"created_at": "2020-01-01T20:00:00Z"}]}
    result = client.post("/v1/score", json=skew).get_json()
    assert result["observed_at"] == "2020-01-01T00:00:00Z" and any("taken as posted" in w for w in result["warnings"])
    future = {**body, "posts": [{"created_at": "2400-01-01T00:00:00Z"}]}
    assert client.post("/v1/score", json=future).status_code == 422
