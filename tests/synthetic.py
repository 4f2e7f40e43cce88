"""Synthetic request-shaped accounts for tests that must not depend on the shared data.

They only exercise code paths (training pipeline, API, explanations); no model trained on them is
ever shipped or called done.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from model.heads import TRAINED_TYPES
from model.labels import BOT, HUMAN, TROLL
from model.training.datasets import LabelledAccount

OBSERVED = 1_600_000_000.0  # 2020-09-13
DAY = 86400.0


def format_timestamp(epoch: float) -> str:
    """RFC 3339 text of epoch seconds with its fraction (the synthetic posts are not whole seconds)."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")


def _posts(
    times: np.ndarray, rng: np.random.Generator, source: str, retweet: float, tags: list[str]
) -> list[dict[str, Any]]:
    out = []
    for i, t in enumerate(sorted(times)):
        out.append(
            {
                "id": f"p{i}",
                "created_at": format_timestamp(float(t)),
                "text": f"post number {rng.integers(1e6)}",
                "source": source,
                "lang": "en",
                "is_retweet": bool(rng.random() < retweet),
                "hashtags": [str(rng.choice(tags))] if tags and rng.random() < 0.7 else [],
            }
        )
    return out


def human(i: int, rng: np.random.Generator, n_posts: int | None = None) -> dict[str, Any]:
    """Irregular, diurnal posting from phone apps; an aged, developed profile."""
    n = int(rng.integers(0, 150)) if n_posts is None else n_posts
    days = rng.uniform(0, 120, n)
    hours = rng.normal(19, 3, n) % 24
    times = OBSERVED - days * DAY + (hours - 12) * 3600
    return {
        "account": {
            "id": f"h{i}",
            "screen_name": f"person{i}",
            "name": f"Person {i}",
            "description": "I like tea",
            "created_at": format_timestamp(OBSERVED - rng.uniform(400, 3000) * DAY),
            "followers_count": int(rng.lognormal(5, 1)),
            "friends_count": int(rng.lognormal(5, 1)),
            "statuses_count": int(rng.lognormal(8, 1)),
            "default_profile": False,
            "default_profile_image": False,
        },
        "posts": _posts(
            np.minimum(times, OBSERVED), rng, str(rng.choice(["Twitter for iPhone", "Twitter for Android"])), 0.2, []
        ),
        "observed_at": format_timestamp(OBSERVED),
    }


def bot(i: int, rng: np.random.Generator, n_posts: int | None = None) -> dict[str, Any]:
    """Clockwork posting from an automation tool; a young, default, follower-less profile."""
    n = int(rng.integers(0, 200)) if n_posts is None else n_posts
    period = float(rng.choice([300, 600, 900]))
    times = OBSERVED - np.arange(n) * period
    return {
        "account": {
            "id": f"b{i}",
            "screen_name": f"xq{rng.integers(1e8)}",
            "name": "Deals",
            "created_at": format_timestamp(OBSERVED - rng.uniform(5, 60) * DAY),
            "description": "",
            "followers_count": int(rng.integers(0, 3)),
            "friends_count": int(rng.integers(500, 2000)),
            "statuses_count": int(rng.integers(2000, 9000)),
            "default_profile": True,
            "default_profile_image": True,
        },
        "posts": _posts(times, rng, "dlvr.it", 0.9, []),
        "observed_at": format_timestamp(OBSERVED),
    }


def troll(i: int, rng: np.random.Generator, n_posts: int | None = None) -> dict[str, Any]:
    """Weekday Moscow office-hours posting from the web client in a hashtag campaign; a thin persona."""
    n = int(rng.integers(0, 150)) if n_posts is None else n_posts
    day = rng.integers(0, 60, n)
    week_day = np.array([d - d % 7 + min(d % 7, 4) for d in day])  # Fold weekends onto Fridays.
    hour_utc = rng.uniform(9, 18, n) - 3
    base = OBSERVED - (OBSERVED % (7 * DAY)) - 3 * DAY  # A Monday 00:00 UTC.
    times = base - 9 * 7 * DAY + week_day * DAY + hour_utc * 3600
    return {
        "account": {
            "id": f"t{i}",
            "screen_name": f"patriot_{i}",
            "name": "Jenna",
            "created_at": format_timestamp(OBSERVED - rng.uniform(200, 900) * DAY),
            "followers_count": int(rng.integers(0, 50)),
            "friends_count": int(rng.integers(50, 400)),
            "statuses_count": int(rng.integers(500, 5000)),
        },
        "posts": _posts(times, rng, "Twitter Web Client", 0.5, ["MAGA", "BlackLivesMatter"]),
        "observed_at": format_timestamp(OBSERVED),
    }


def accounts(n_per_class: int = 120, seed: int = 7) -> list[LabelledAccount]:
    """A labelled synthetic population over two pseudo-datasets."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_per_class):
        dataset = "synth-a" if i % 2 else "synth-b"
        out.append(LabelledAccount(dataset, f"h{i}", HUMAN, HUMAN, human(i, rng)))
        # Each synthetic bot names a type (a group that names one is the bot's type), so the types train too.
        out.append(LabelledAccount(dataset, f"b{i}", BOT, TRAINED_TYPES[i % len(TRAINED_TYPES)], bot(i, rng)))
        out.append(LabelledAccount(dataset, f"t{i}", TROLL, TROLL, troll(i, rng)))
    return out
