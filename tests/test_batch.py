"""Batch scoring: one slot per account, in input order; one bad account never fails the others."""

from __future__ import annotations

from typing import Any

import numpy as np

from api.schemas import ProblemSchema, ScoreResponseSchema
from tests import synthetic


def test_batch_slots_results_and_problems_in_order(client: Any) -> None:
    rng = np.random.default_rng(9)
    accounts = [
        synthetic.human(0, rng, 30),
        {"account": {"id": "bad", "followers_count": -5}},
        synthetic.bot(1, rng, 100),
        "not an object",
        {"account": {"id": "x"}, "posts": [{"created_at": "nope"}]},
        synthetic.troll(2, rng, 0),
    ]
    response = client.post("/v1/score/batch", json={"accounts": accounts})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) == len(accounts)
    for index in (0, 2, 5):
        ScoreResponseSchema().load(results[index])
    assert [results[i]["account_id"] for i in (0, 2, 5)] == ["h0", "b1", "t2"]
    for index, field in ((1, "account.followers_count"), (3, "body"), (4, "posts.0.created_at")):
        ProblemSchema().load(results[index])
        assert results[index]["status"] == 422
        assert field in results[index]["errors"]
        assert results[index]["index"] == index
        assert results[index]["detail"].startswith(f"accounts[{index}] (item {index + 1} of the batch): ")


def test_batch_result_equals_single_score(client: Any) -> None:
    body = synthetic.troll(4, np.random.default_rng(4), 80)
    single = client.post("/v1/score", json=body).get_json()
    batch = client.post("/v1/score/batch", json={"accounts": [body, body]}).get_json()["results"]
    assert batch[0] == single and batch[1] == single


def test_batch_all_invalid_still_200_with_problems(client: Any) -> None:
    results = client.post("/v1/score/batch", json={"accounts": [{}, {"account": {"id": ""}}]}).get_json()["results"]
    assert [r["status"] for r in results] == [422, 422]


def test_batch_envelope_errors_422(client: Any, app_factory: Any) -> None:
    for body, field in (
        ({"accounts": []}, "accounts"),
        ({}, "accounts"),
        ({"accounts": {}}, "accounts"),
        ({"accounts": [{"account": {"id": "1"}}], "more": 1}, "more"),
    ):
        response = client.post("/v1/score/batch", json=body)
        assert response.status_code == 422 and field in response.get_json()["errors"]
    small = app_factory(MAX_BATCH=2).test_client()
    response = small.post("/v1/score/batch", json={"accounts": [{"account": {"id": str(i)}} for i in range(3)]})
    assert response.status_code == 422 and "accounts" in response.get_json()["errors"]
