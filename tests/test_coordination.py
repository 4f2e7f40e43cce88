"""Coordinated groups on small constructed cases: the library, the route and the CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api import schemas
from cli import main as cli_main
from model.coordination import ActionCollector, Settings, coordinate
from model.coordination.evidence import duration, synchronised
from model.records import format_timestamp, parse_timestamp
from model.validation import Validator
from store.keys import KeyStore, mint

DAY = 86400
T0 = 1_700_000_000  # 2023-11-14


def _stamp(t: float) -> str:
    return format_timestamp(t)


def _own_posts(rng: random.Random, who: str, n: int = 15) -> list[dict[str, Any]]:
    """An ordinary timeline: own texts at the account's own times."""
    return [
        {"created_at": _stamp(T0 + rng.uniform(0, 20 * DAY)), "text": f"{who} thinking aloud, entry {k} {rng.random()}"}
        for k in range(n)
    ]


def ring_account(i: int, rng: random.Random, posts: int = 20) -> dict[str, Any]:
    """A ring member: reposts the operator's posts within 40 seconds of the others, every few hours."""
    reposts = [
        {
            "created_at": _stamp(T0 + k * 5 * 3600 + rng.uniform(0, 40)),
            "retweet_of": {"id": f"op-{k}", "author": "operator"},
        }
        for k in range(posts)
    ]
    return {"account": {"id": f"ring-{i}", "screen_name": f"ring{i}"}, "posts": reposts + _own_posts(rng, f"ring{i}")}


def fan_account(i: int, rng: random.Random) -> dict[str, Any]:
    """A fan: reposts one viral post at an independent moment of its day, and posts its own things."""
    viral = {"created_at": _stamp(T0 + rng.uniform(0, DAY)), "retweet_of": {"id": "viral", "author": "star"}}
    return {"account": {"id": f"fan-{i}"}, "posts": [viral, *_own_posts(rng, f"fan{i}")]}


def _batch(seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [ring_account(i, rng) for i in range(6)] + [fan_account(i, rng) for i in range(60)]


def _coordinate(bodies: list[dict[str, Any]], settings: Settings | None = None) -> Any:
    validator = Validator.build()
    collector = ActionCollector()
    for body in bodies:
        collector.add(validator.request("native", body, T0 + 30 * DAY).posts)
    return coordinate(collector.table(), settings or Settings())


def test_action_collector_keeps_actions_two_accounts_did_with_their_labels() -> None:
    validator = Validator.build()
    collector = ActionCollector()
    posts = [
        [("Shared", T0 + 10), ("onlymine_café", T0 + 5)],
        [("shared", T0 + 20), ("other", T0 + 900)],
        [(None, T0 + 50)],
    ]
    for i, own in enumerate(posts):
        body = {
            "account": {"id": f"a{i}"},
            "posts": [{"created_at": _stamp(t), "hashtags": [tag] if tag else []} for tag, t in own],
        }
        collector.add(validator.request("native", body, T0 + DAY).posts)
    table = collector.table()
    assert table.labels == ["#shared"] and table.n_accounts == 3
    assert table.account.tolist() == [0, 1] and table.key.tolist() == [0, 0]
    assert table.t.tolist() == [T0 + 10, T0 + 20]
    # The active span counts every action, the ones no other account did included.
    assert table.first_at.tolist() == [T0 + 5, T0 + 20, np.inf]
    assert table.last_at.tolist() == [T0 + 10, T0 + 900, -np.inf]


def test_coordination_ring_found_with_its_evidence() -> None:
    found = _coordinate(_batch())
    assert len(found.groups) == 1
    group = found.groups[0]
    assert group.members == list(range(6))
    evidence = group.evidence[0]
    assert (evidence["behaviour"], evidence["accounts"], evidence["posts"]) == ("co_retweet", 6, 120)
    assert evidence["shared"].startswith("post op-")
    assert evidence["first_at"] <= evidence["last_at"]
    assert group.reasons[0].startswith("6 accounts reposted the same 20 posts within an hour of each other")
    assert "times more often than chance" in group.reasons[0]
    assert (found.scores[:6] > 0.5).all()


def test_coordination_fans_of_one_viral_post_not_grouped() -> None:
    found = _coordinate(_batch())
    assert (found.group_of[6:] == -1).all()
    assert (found.scores[6:] < 0.5).all()


def test_coordination_outsider_joins_a_group_only_through_weighty_co_actions() -> None:
    rng = random.Random(7)

    def bystander(name: str, ring_posts: int) -> dict[str, Any]:
        # Reposts the ring's first posts within a minute of the ring, and otherwise posts its own things.
        reposts = [
            {"created_at": _stamp(T0 + k * 5 * 3600 + 50), "retweet_of": {"id": f"op-{k}", "author": "operator"}}
            for k in range(ring_posts)
        ]
        return {"account": {"id": name}, "posts": reposts + _own_posts(rng, name)}

    bodies = _batch() + [bystander("once", 1), bystander("thrice", 3)]
    found = _coordinate(bodies)
    ring_group = found.group_of[0]
    # One shared post with each member weighs under half a link; three weigh more.
    assert found.group_of[-2] == -1 and found.group_of[-1] == ring_group
    # Without the floor, one shared post with two or more members was enough to join.
    assert _coordinate(bodies, Settings(attach_weight=0.0)).group_of[-2] == ring_group


def test_coordination_ring_spread_beyond_the_window_not_grouped() -> None:
    rng = random.Random(3)
    bodies = [ring_account(i, rng) for i in range(6)]
    for i, body in enumerate(bodies):  # each member an hour and a half after the previous one
        for post in body["posts"]:
            if "retweet_of" in post:
                post["created_at"] = _stamp(parse_timestamp(post["created_at"]) + i * 5400)
    assert _coordinate(bodies).groups == []
    assert len(_coordinate(bodies, Settings(window_seconds=DAY)).groups) == 1


def test_coordination_near_duplicate_texts_hashtags_and_links() -> None:
    rng = random.Random(5)
    bodies = []
    for i in range(5):
        posts = [
            {
                "created_at": _stamp(T0 + k * 7200 + rng.uniform(0, 60)),
                "text": f"Breaking: the truth about topic {'ABCDEFGHIJKL'[k]} they hide from you! #wakeup{k}",
                "hashtags": [f"WakeUp{k}"],
                "urls": [f"https://news.example/story-{k}?utm_source=acct{i}"],
            }
            for k in range(12)
        ]
        bodies.append({"account": {"id": f"c{i}"}, "posts": posts + _own_posts(rng, f"c{i}")})
    bodies += [fan_account(i, rng) for i in range(20)]
    found = _coordinate(bodies)
    assert len(found.groups) == 1 and found.groups[0].members == list(range(5))
    shown = {e["behaviour"]: e for e in found.groups[0].evidence}
    # They also post within the same minute, which by chance accounts active on the same days rarely do.
    assert set(shown) == {"near_duplicate_text", "co_hashtag", "co_link", "synchronised_activity"}
    assert shown["co_link"]["shared"] == "news.example"  # tracking parameters do not split one link
    assert shown["co_hashtag"]["shared"].startswith("#wakeup")


def test_coordination_synchronised_activity_shown_beyond_chance() -> None:
    group = _coordinate(_batch()).groups[0]
    shown = {e["behaviour"]: (e, r) for e, r in zip(group.evidence, group.reasons)}
    evidence, reason = shown["synchronised_activity"]
    assert evidence["accounts"] == 6 and evidence["window_seconds"] == 60
    assert evidence["first_at"] <= evidence["last_at"] and "members at" in evidence["shared"]
    assert "times more often than chance for accounts active on the same days" in reason
    # The shared reposts stay the first evidence: most posts first.
    assert group.evidence[0]["behaviour"] == "co_retweet"


def test_coordination_synchronised_activity_absent_when_members_never_share_a_minute() -> None:
    rng = random.Random(4)
    bodies = []
    for i in range(6):
        body = ring_account(i, rng)
        # Each member five minutes after the previous: within the hour, never in the same minute.
        body["posts"] = [
            {**post, "created_at": _stamp(T0 + k * 5 * 3600 + i * 300)}
            for k, post in enumerate(p for p in body["posts"] if "retweet_of" in p)
        ]
        bodies.append(body)
    found = _coordinate(bodies)
    assert len(found.groups) == 1 and len(found.groups[0].members) == 6
    assert "synchronised_activity" not in {e["behaviour"] for e in found.groups[0].evidence}


def test_coordination_synchronised_chance_counts_members_active_on_the_same_days() -> None:

    day = 20_000 * 1440
    # Two members posting in the same ten minutes of one day: 10 pair-minutes against 10 x 10 / 1,440 by chance.
    account = np.repeat(np.array([0, 1], dtype=np.int32), 10)
    found = synchronised(account, np.tile(np.arange(10), 2) + day)
    assert found is not None
    evidence, reason = found
    assert (evidence["accounts"], evidence["posts"]) == (2, 20)
    # Posts are counted as made: three in one of those minutes count three.
    posts = np.ones(20, dtype=np.int32)
    posts[0] = 3
    found = synchronised(account, np.tile(np.arange(10), 2) + day, posts)
    assert found is not None and found[0]["posts"] == 22
    assert "in 10 minutes, 144 times more often than chance" in reason
    # The same minutes of different days: never together.
    assert synchronised(account, np.concatenate([np.arange(10) + day, np.arange(10) + day + 1440])) is None
    # Both busy every minute of the day: meeting in each of them is what chance gives.
    assert synchronised(np.repeat(np.array([0, 1], dtype=np.int32), 1440), np.tile(np.arange(1440), 2) + day) is None


def test_coordination_input_order_changes_nothing() -> None:
    bodies = _batch(1)
    order = list(range(len(bodies)))
    random.Random(2).shuffle(order)
    first = _coordinate(bodies)
    second = _coordinate([bodies[i] for i in order])
    groups_first = {frozenset(bodies[m]["account"]["id"] for m in g.members) for g in first.groups}
    groups_second = {frozenset(bodies[order[m]]["account"]["id"] for m in g.members) for g in second.groups}
    assert groups_first == groups_second
    back = np.empty(len(order), dtype=float)
    back[order] = second.scores
    np.testing.assert_allclose(back, first.scores)


def test_coordination_pair_search_in_small_slices_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from model.coordination import graph

    whole = _coordinate(_batch())
    monkeypatch.setattr(graph, "SLICE_EVENTS", 7)  # slices of about 7 events, cut where an action ends
    sliced = _coordinate(_batch())
    assert sliced.groups == whole.groups and len(whole.groups) == 1
    assert np.array_equal(sliced.scores, whole.scores) and np.array_equal(sliced.group_of, whole.group_of)


def test_coordination_duration_words() -> None:
    assert [duration(s) for s in (1, 60, 600, 3600, 7200, DAY)] == [
        "1 second",
        "60 seconds",
        "10 minutes",
        "an hour",
        "2 hours",
        "a day",
    ]


@pytest.fixture()
def client(app_factory: Any, tmp_path: Path) -> Any:
    return app_factory(STORE_ENABLED=False).test_client()


def test_coordination_route_slots_groups_and_a_bad_account(client: Any) -> None:
    bodies = _batch()
    bodies.insert(2, {"account": {"name": "no id"}})
    response = client.post("/v1/coordination", json={"accounts": bodies, "min_group_size": 3})
    assert response.status_code == 200
    body = response.get_json()
    slots = body["accounts"]
    assert len(slots) == len(bodies)
    assert (slots[2]["status"], slots[2]["index"]) == (422, 2)
    assert [s["group"] for s in slots[:2] + slots[3:7]] == ["g1"] * 6
    assert all(s["group"] is None for s in slots[7:])
    assert body["groups"][0]["accounts"] == [f"ring-{i}" for i in range(6)]
    assert body["groups"][0]["evidence"][0]["window_seconds"] == 3600
    # The minute evidence as the documented response shape declares it.
    assert "synchronised_activity" in [e["behaviour"] for e in body["groups"][0]["evidence"]]
    assert schemas.GroupSchema(many=True).validate(body["groups"]) == {}


def test_coordination_route_window_and_group_size(client: Any) -> None:
    bodies = _batch()[:6]
    tight = client.post("/v1/coordination", json={"accounts": bodies, "window_seconds": 10}).get_json()
    assert tight["groups"] == []
    assert client.post("/v1/coordination", json={"accounts": bodies, "min_group_size": 7}).get_json()["groups"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"accounts": [{"account": {"id": "1"}}]},
        {"accounts": []},
        {"accounts": [{"account": {"id": "1"}}] * 2, "window_seconds": -1},
        {"accounts": [{"account": {"id": "1"}}] * 2, "min_group_size": 1},
        {"accounts": [{"account": {"id": "1"}}] * 2, "extra": True},
        {"accounts": "nope"},
    ],
)
def test_coordination_route_bad_envelope_422(client: Any, body: Any) -> None:
    response = client.post("/v1/coordination", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_coordination_route_limit_is_configurable(app_factory: Any) -> None:
    client = app_factory(STORE_ENABLED=False, MAX_COORDINATION_ACCOUNTS=3).test_client()
    bodies = [{"account": {"id": str(i)}} for i in range(4)]
    response = client.post("/v1/coordination", json={"accounts": bodies})
    assert response.status_code == 422
    assert "accounts" in response.get_json()["errors"]


def test_coordination_route_counts_each_account_against_the_quota(app_factory: Any) -> None:
    key, record = mint("hunter", 10)
    client = app_factory(STORE_ENABLED=False, AUTH_ENABLED=True, API_KEYS=KeyStore([record]).records()).test_client()
    bodies = {"accounts": [{"account": {"id": str(i)}} for i in range(6)]}
    first = client.post("/v1/coordination", json=bodies, headers={"X-API-Key": key})
    assert (first.status_code, first.headers["X-RateLimit-Remaining"]) == (200, "4")
    assert client.post("/v1/coordination", json=bodies, headers={"X-API-Key": key}).status_code == 429


def test_cli_coordination_streams_a_file(tmp_path: Path, capsys: Any) -> None:
    bodies = _batch()
    source = tmp_path / "accounts.jsonl"
    lines = [json.dumps(b) for b in bodies]
    source.write_text("\n".join([*lines[:3], "{broken", *lines[3:]]) + "\n")
    out = tmp_path / "groups.json"
    assert cli_main(["coordination", str(source), "-o", str(out)]) == 0
    result = json.loads(out.read_text())
    # Every account read has its slot with its input line; the broken line went to the errors file.
    assert len(result["accounts"]) == len(bodies)
    assert [slot["line"] for slot in result["accounts"][2:5]] == [3, 5, 6]
    (failure,) = [json.loads(line) for line in (tmp_path / "groups.json.errors.jsonl").read_text().splitlines()]
    assert failure["line"] == 4 and failure["problem"]["status"] == 400
    assert result["groups"][0]["accounts"] == [f"ring-{i}" for i in range(6)]
    err = capsys.readouterr().err
    assert "1 failed" in err and "1 group," in err


def test_cli_coordination_same_output_in_every_process(tmp_path: Path) -> None:
    """Actions are numbered by Python's string hash, which each process seeds anew: nothing shown may follow it."""
    import os
    import subprocess
    import sys

    source = tmp_path / "accounts.jsonl"
    source.write_text("\n".join(json.dumps(b) for b in _batch()) + "\n")
    outputs = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"groups-{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        code = "import sys; from cli import main; sys.exit(main(sys.argv[1:]))"
        subprocess.run([sys.executable, "-c", code, "coordination", str(source), "-o", str(out)], env=env, check=True)
        outputs.append(json.loads(out.read_text()))
    assert outputs[0] == outputs[1] == outputs[2]
    # The ring reposted 20 posts equally often: the one shown is the first by its label.
    assert outputs[0]["groups"][0]["evidence"][0]["shared"] == "post op-0"


def test_coordination_eval_metrics_on_a_small_batch() -> None:
    from model.training.coordination_eval import Batch, metrics

    kinds = ["ira", "ira", "ira", "ira", "ordinary", "fan"]
    batch = Batch(requests=[{} for _ in kinds], category=["A", "A", "A", "B", None, None], kind=kinds)
    groups = np.array([0, 0, 0, -1, -1, -1])
    m = metrics(batch, np.array([0.9, 0.8, 0.7, 0.1, 0.3, 0.05]), groups)
    assert (m["precision"], m["recall"], m["ari"]) == (1.0, 0.75, 1.0)
    assert m["auc"] == 7 / 8  # only the ungrouped operation account ranks below an other account
    assert (m["ira_ungrouped"], m["others_grouped"]) == (1, 0)
    assert m["auc_ungrouped"] == 0.5  # outside the group it ranks between the two others
