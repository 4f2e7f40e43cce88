"""extract_features: edge cases, purity and order independence."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from model.features import FEATURE_INDEX, FEATURE_NAMES, MISSING, N_FEATURES, extract_features
from model.records import Account, Post

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


def test_extract_features_office_hours_moscow() -> None:
    # Monday 2017-01-02 07:00 UTC = 10:00 Moscow; posts on weekdays 07:00-14:00 UTC.
    monday = 1483340400.0
    times = [monday + d * 86400 + h * 3600 for d in range(5) for h in range(0, 7)]
    vec = extract_features(Account(id="1"), _posts(times), monday + 5 * 86400)
    assert _f(vec, "office_share_utc3") == 1.0
    assert _f(vec, "office_share_utc8") < 0.5
    assert _f(vec, "weekend_share") == 0.0


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
