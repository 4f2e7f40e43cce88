"""extract_features: edge cases, purity and order independence."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from model.features import FEATURE_INDEX, FEATURE_NAMES, MISSING, N_FEATURES, extract_features
from model.records import Account, Post, Ref

T0 = 1_500_000_000.0


def _posts(times: list[float], **kwargs) -> list[Post]:
    return [
        Post(created_at=t, id=str(i), text=f"text {i}", source="Twitter for iPhone", **kwargs)
        for i, t in enumerate(times)
    ]


def _f(vec: np.ndarray, name: str) -> float:
    return float(vec[FEATURE_INDEX[name]])


def test_extract_features_no_posts_profile_only() -> None:
    account = Account(id="1", created_at=T0 - 10 * 86400, followers_count=0, friends_count=9, statuses_count=50)
    vec = extract_features(account, [], T0)
    assert vec.shape == (N_FEATURES,)
    assert np.isfinite(vec).all()
    assert _f(vec, "account_age_days") == pytest.approx(10.0)
    assert _f(vec, "followers_friends_ratio") == pytest.approx(0.0)
    assert _f(vec, "statuses_per_day") == pytest.approx(5.0)
    assert _f(vec, "posts_per_day") == MISSING
    assert _f(vec, "retweet_share") == MISSING


def test_extract_features_empty_account_all_missing() -> None:
    vec = extract_features(Account(id="x"), [], T0)
    assert (vec == MISSING).all()


def test_extract_features_one_post() -> None:
    vec = extract_features(Account(id="1"), _posts([T0 - 60]), T0)
    assert np.isfinite(vec).all()
    assert _f(vec, "max_posts_per_hour") == 1.0
    assert _f(vec, "posts_per_day") == MISSING  # A rate needs two posts.
    assert _f(vec, "gap_median_s") == MISSING
    assert _f(vec, "mobile_share") == 1.0


def test_extract_features_duplicate_timestamps() -> None:
    vec = extract_features(Account(id="1"), _posts([T0] * 30), T0)
    assert np.isfinite(vec).all()
    assert _f(vec, "gap_median_s") == 0.0
    assert _f(vec, "gap_share_under_2s") == 1.0
    assert _f(vec, "gap_cv") == 0.0
    assert _f(vec, "max_posts_per_hour") == 30.0


def test_extract_features_order_independent() -> None:
    rng = random.Random(3)
    times = [T0 - rng.uniform(0, 30 * 86400) for _ in range(80)] + [T0 - 5000] * 4
    posts = _posts(times)
    posts[3] = replace(posts[3], source="dlvr.it", lang="en", hashtags=("a", "b"), is_retweet=True)
    account = Account(id="1", created_at=T0 - 900 * 86400, screen_name="abc123", name="ABC")
    expected = extract_features(account, posts, T0)
    for _ in range(5):
        shuffled = posts[:]
        rng.shuffle(shuffled)
        np.testing.assert_array_equal(extract_features(account, shuffled, T0), expected)


def test_extract_features_future_posts_clamped_to_as_of() -> None:
    account = Account(id="1", created_at=T0 - 100 * 86400)
    past = _posts([T0 - 3600 * i for i in range(1, 20)])
    future = past + [Post(created_at=T0 + 7200, id="f", text="later", source="Twitter for iPhone")]
    at_as_of = past + [Post(created_at=T0, id="f", text="later", source="Twitter for iPhone")]
    vec = extract_features(account, future, T0)
    assert np.isfinite(vec).all()
    np.testing.assert_array_equal(vec, extract_features(account, at_as_of, T0))


def test_extract_features_machine_regular_bot_vs_irregular() -> None:
    regular = _posts([T0 - 600 * i for i in range(200)])
    rng = np.random.default_rng(0)
    irregular = _posts(sorted(T0 - rng.exponential(20000, 200).cumsum()))
    reg = extract_features(Account(id="1"), regular, T0)
    irr = extract_features(Account(id="2"), irregular, T0)
    assert _f(reg, "gap_cv") == pytest.approx(0.0)
    assert _f(reg, "burstiness") == pytest.approx(0.0)
    assert _f(reg, "gap_share_repeated") == 1.0
    assert _f(irr, "burstiness") > 0.3
    assert _f(reg, "posts_per_day") > 100


@pytest.mark.parametrize(
    "offset, workdays, week",
    [
        (3.0, range(5), 0),
        (8.0, range(5), 0),
        (7.0, range(5), 0),
        (-6.0, range(5), 0),
        (3.5, (5, 6, 0, 1, 2), 2),
        (5.75, range(5), 0),
    ],
)
def test_extract_features_infer_the_operator_clock_in_any_zone(offset: float, workdays: Any, week: int) -> None:
    # Two weeks of posts 10:00-17:00 local on the zone's working days (Monday 2017-01-02 is day 0).
    monday = 1483315200.0
    days = [d for d in range(14) if d % 7 in workdays]
    times = [monday + d * 86400 + (h - offset) * 3600 for d in days for h in range(10, 17)]
    vec = extract_features(Account(id="1", location="Houston, Texas"), _posts(times), monday + 15 * 86400)
    assert _f(vec, "office_share_best") == 1.0
    assert _f(vec, "weekend_share") == 0.0 and _f(vec, "night_share") == 0.0
    assert _f(vec, "shift_zone") - 12 == offset  # the zone is held 12 hours up, every value positive
    assert _f(vec, "shift_workweek") == week
    assert _f(vec, "claimed_zone") - 12 == -6.0  # Houston in January
    apart = abs(offset + 6) % 24
    assert _f(vec, "zone_contradiction_hours") == min(apart, 24 - apart)


def test_extract_features_zone_needs_a_place_and_posts() -> None:
    monday = 1483315200.0
    times = [monday + h * 3600 for h in range(2)]
    near = extract_features(Account(id="1", location="near the lighthouse"), _posts(times), monday + 86400)
    assert _f(near, "claimed_zone") == MISSING and _f(near, "zone_contradiction_hours") == MISSING
    few = extract_features(Account(id="1", location="Bangkok"), _posts(times), monday + 86400)
    assert _f(few, "claimed_zone") == 19.0 and _f(few, "zone_contradiction_hours") == MISSING


def test_extract_features_count_repost_sources_by_reference_or_text() -> None:
    base = _posts([1483315200.0 + i * 600 for i in range(10)])
    posts = [
        replace(
            p,
            is_retweet=True,
            retweet_of=Ref(author="Src") if i < 4 else None,
            text=f"RT @src: x{i}" if i < 8 else None,
        )
        for i, p in enumerate(base)
    ]
    vec = extract_features(Account(id="1"), posts, 1483315200.0 + 86400)
    # Eight reposts name their source (four by reference, four by text), all the same account.
    assert _f(vec, "top_sources_retweet_share") == 1.0


def test_extract_features_hijack_drift() -> None:
    old = [
        Post(created_at=T0 - 400 * 86400 + i * 40000, text="ciao", lang="it", source="Twitter for iPhone")
        for i in range(40)
    ]
    new = [
        Post(created_at=T0 - 10 * 86400 + i * 9000, text="buy now", lang="en", source="dlvr.it", is_retweet=True)
        for i in range(40)
    ]
    vec = extract_features(Account(id="1", created_at=T0 - 2000 * 86400), old + new, T0)
    assert _f(vec, "drift_language") == pytest.approx(1.0)
    assert _f(vec, "drift_source") == pytest.approx(1.0)
    assert _f(vec, "drift_retweet_share") == pytest.approx(1.0)
    assert _f(vec, "recent_share") == pytest.approx(0.5)
    assert _f(vec, "longest_gap_days") > 300


def test_feature_names_unique() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_extract_features_handle_instance_changes_nothing() -> None:
    local = Account(id="1", platform="mastodon", screen_name="alice_42", name="Alice")
    with_instance = replace(local, screen_name="alice_42@mastodon.social")
    leading_at = replace(local, screen_name="@alice_42")
    expected = extract_features(local, [], as_of=1.7e9)
    np.testing.assert_array_equal(extract_features(with_instance, [], as_of=1.7e9), expected)
    np.testing.assert_array_equal(extract_features(leading_at, [], as_of=1.7e9), expected)
    assert expected[FEATURE_INDEX["screen_name_length"]] == 8
