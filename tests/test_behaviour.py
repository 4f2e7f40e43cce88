"""The shipped model on behavioural cases (tests/behaviour.py): expected labels, invariances and directions.

Cases the shipped model gets wrong are marked ``xfail(strict=True)`` with what it scored: they are the
targets of the retraining in progress, and a strict mark fails the run the day the model gets them
right, so the mark is removed then.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import orjson
import pytest

from model.scoring import Scorer
from model.validation import Validator
from tests import behaviour


@pytest.fixture(scope="module")
def shipped() -> Any:
    scorer, validator = Scorer.load(), Validator.build()

    def score(body: dict[str, Any]) -> dict[str, Any]:
        return scorer.score([validator.request("native", orjson.dumps(body), 2e9)])[0]

    return score


def _known(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=f"model 1.2.0: {reason}")


@pytest.mark.parametrize(
    "case, expected",
    [
        (behaviour.scheduler_bot, "bot"),
        pytest.param(behaviour.amplifier_bot, "bot", marks=_known("bot 0.42, troll 0.32: label troll")),
        (behaviour.fresh_default_bot, "bot"),
        (lambda: behaviour.office_hours_troll(8), "troll"),  # Beijing office hours, persona in Texas
        (lambda: behaviour.office_hours_troll(3), "troll"),  # Moscow office hours
        (behaviour.hijacked_account, "hijacked"),
        (behaviour.modern_user, "human"),
        pytest.param(behaviour.newcomer, "human", marks=_known("a 3-post newcomer scores bot 0.998")),
        pytest.param(behaviour.office_worker, "human", marks=_known("troll 0.293 over its 0.267 threshold")),
    ],
    ids=[
        "scheduler",
        "amplifier",
        "fresh-default",
        "troll-beijing",
        "troll-moscow",
        "hijack",
        "modern-user",
        "newcomer",
        "office-worker",
    ],
)
def test_behaviour_expected_label(shipped: Any, case: Any, expected: str) -> None:
    result = shipped(case())
    assert result["label"] == expected, result["scores"]


def _shift(body: dict[str, Any], days: int) -> dict[str, Any]:
    moved = copy.deepcopy(body)

    def shift(text: str) -> str:
        return (datetime.fromisoformat(text) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")

    for post in moved["posts"]:
        post["created_at"] = shift(post["created_at"])
    moved["account"]["created_at"] = shift(moved["account"]["created_at"])
    moved["observed_at"] = shift(moved["observed_at"])
    return moved


@pytest.mark.parametrize("case", [behaviour.modern_user, behaviour.scheduler_bot, behaviour.hijacked_account])
def test_behaviour_invariant_to_moving_a_whole_history_by_years(shipped: Any, case: Any) -> None:
    body = case()
    base = shipped(body)["scores"]
    for weeks in (-52 * 3, -52 * 6):  # whole weeks keep weekday and hour
        moved = shipped(_shift(body, weeks * 7))["scores"]
        assert all(abs(moved[k] - base[k]) <= 0.05 for k in base), (weeks, base, moved)


def test_behaviour_invariant_to_post_order(shipped: Any) -> None:
    body = behaviour.office_hours_troll(8)
    reversed_body = {**body, "posts": body["posts"][::-1]}
    assert shipped(body)["scores"] == shipped(reversed_body)["scores"]


@pytest.mark.parametrize("client", ["IFTTT", "dlvr.it", "twitterfeed"])
def test_behaviour_more_automation_never_lowers_the_bot_score(shipped: Any, client: str) -> None:
    body = behaviour.modern_user()
    automated = copy.deepcopy(body)
    for post in automated["posts"][::2]:
        post["source"] = client
    assert shipped(automated)["scores"]["bot"] >= shipped(body)["scores"]["bot"]
