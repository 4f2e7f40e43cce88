"""Behavioural cases built from what the field knows about bots, trolls, hijacks and ordinary users.

Each builder returns a native request body (deterministic for its seed). ``tests/test_behaviour.py``
scores them with the shipped model and states the expected label, CheckList-style.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

DAY = 86400.0
END = datetime(2023, 6, 1, tzinfo=UTC)  # a modern snapshot: quote posts, long texts, today's clients


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _body(account: dict[str, Any], posts: list[dict[str, Any]]) -> dict[str, Any]:
    """The request: posts with their times as text (``_t`` is epoch seconds), observed at the newest."""
    stamped = [{k: v for k, v in p.items() if k != "_t"} | {"created_at": _stamp(p["_t"])} for p in posts]
    observed = max((p["_t"] for p in posts), default=END.timestamp())
    return {"account": account, "posts": stamped, "observed_at": _stamp(observed)}


def _profile(name: str, created_days: float, **fields: Any) -> dict[str, Any]:
    return {
        "id": name,
        "screen_name": name,
        "name": name.title(),
        "created_at": _stamp(END.timestamp() - created_days * DAY),
        **fields,
    }


def scheduler_bot(seed: int = 0) -> dict[str, Any]:
    """One link template every 10 minutes from a feed scheduler, with a plausible profile."""
    start = END.timestamp() - 200 * 600
    posts = [
        {
            "_t": start + i * 600,
            "source": "twitterfeed",
            "text": f"Deal of the day #{i}: https://deals.example/{i}",
            "urls": [f"https://deals.example/{i}"],
            "lang": "en",
        }
        for i in range(200)
    ]
    account = _profile(
        "dailydeals",
        900,
        followers_count=310,
        friends_count=280,
        statuses_count=52000,
        description="Best deals, updated all day",
        location="Chicago",
    )
    return _body(account, posts)


def amplifier_bot(seed: int = 1) -> dict[str, Any]:
    """Retweets of one account around the clock, about 150 a day, from an automation client."""
    rng = np.random.default_rng(seed)
    start = END.timestamp() - 2 * DAY
    posts = [
        {
            "_t": start + i * 576 + float(rng.integers(0, 30)),
            "source": "IFTTT",
            "is_retweet": True,
            "retweet_of": {"id": str(1000 + i), "author": "bigaccount"},
            "mentions": ["bigaccount"],
            "text": f"RT @bigaccount: message {i}",
        }
        for i in range(300)
    ]
    account = _profile(
        "amp4829103",
        40,
        followers_count=3,
        friends_count=1,
        statuses_count=40000,
        default_profile=True,
        default_profile_image=True,
    )
    return _body(account, posts)


def fresh_default_bot(seed: int = 2) -> dict[str, Any]:
    """Five days old, default profile and picture, no followers, 80 posts a day from a bot client."""
    start = END.timestamp() - 5 * DAY
    posts = [
        {"_t": start + i * 1080, "source": "my_bot", "text": f"Crypto signal {i % 7}: BUY", "hashtags": ["crypto"]}
        for i in range(400)
    ]
    account = _profile(
        "x8f3k2l9q",
        5,
        followers_count=0,
        friends_count=0,
        statuses_count=400,
        default_profile=True,
        default_profile_image=True,
    )
    return _body(account, posts)


def office_hours_troll(utc_offset: float, seed: int = 3) -> dict[str, Any]:
    """A persona claiming Texas, posting weekdays 09:00-18:00 in the operator's time zone from the web client.

    Mostly retweets and campaign hashtags, no followers: the shape of a troll-factory shift.
    """
    rng = np.random.default_rng(seed)
    posts = []
    day = END - timedelta(days=60)
    while day < END and len(posts) < 200:
        if day.weekday() < 5:
            for _ in range(int(rng.integers(3, 7))):
                local = float(rng.uniform(9, 18))
                t = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + (local - utc_offset) * 3600
                retweet = rng.random() < 0.7
                posts.append(
                    {
                        "_t": t,
                        "source": "Twitter Web App",
                        "is_retweet": bool(retweet),
                        "hashtags": ["MAGA", "TexasStrong"] if rng.random() < 0.6 else [],
                        "text": "RT @patriot: they lie to you" if retweet else "Texans know the truth",
                        "lang": "en",
                    }
                )
        day += timedelta(days=1)
    account = _profile(
        "texas_mom_2016",
        700,
        location="Houston, Texas",
        followers_count=0,
        friends_count=150,
        statuses_count=5000,
        description="Proud Texan. Mom. Patriot.",
    )
    return _body(account, posts)


def hijacked_account(seed: int = 4) -> dict[str, Any]:
    """Two years of evening posts in English from an iPhone, a long silence, then Russian from the web client."""
    rng = np.random.default_rng(seed)
    posts = []
    for i in range(150):
        t = END.timestamp() - 900 * DAY + i * 4 * DAY + float(rng.uniform(19, 23)) * 3600
        posts.append(
            {
                "_t": t,
                "source": "Twitter for iPhone",
                "lang": "en",
                "text": f"dinner with friends {i}",
                "urls": ["https://instagram.com/p/x"] if rng.random() < 0.2 else [],
            }
        )
    restart = posts[-1]["_t"] + 300 * DAY
    for i in range(100):
        t = restart + i * 0.5 * DAY + float(rng.uniform(0, 3)) * 3600
        posts.append(
            {
                "_t": t,
                "source": "Twitter Web App",
                "lang": "ru",
                "text": f"Новости дня {i}",
                "urls": [f"https://news-ru.example/{i}"],
                "is_retweet": bool(rng.random() < 0.5),
            }
        )
    account = _profile("jenny_b", 2500, followers_count=420, friends_count=380, statuses_count=3100)
    return _body(account, posts)


def modern_user(seed: int = 5, n_posts: int = 120) -> dict[str, Any]:
    """A 2022-23 user: phone clients, long texts, some quotes and replies, her own daytime and evenings."""
    rng = np.random.default_rng(seed)
    posts = []
    for _ in range(n_posts):
        t = END.timestamp() - float(rng.uniform(0, 120)) * DAY
        t = t - (t % DAY) + float(rng.uniform(13, 28)) * 3600  # 08:00-23:00 in UTC-5
        kind = rng.random()
        posts.append(
            {
                "_t": t,
                "source": ["Twitter for iPhone", "Twitter for Android"][int(rng.integers(2))],
                "text": "Long thoughts about " + "the game last night, " * int(rng.integers(2, 12)),
                "is_quote": bool(kind < 0.2),
                "is_reply": bool(0.2 <= kind < 0.45),
                "lang": "en",
            }
        )
    account = _profile(
        "sarah_codes",
        2200,
        location="Columbus, OH",
        followers_count=540,
        friends_count=610,
        statuses_count=8200,
        description="Engineer. Runner. Opinions my own.",
    )
    return _body(account, posts)


def newcomer(seed: int = 6) -> dict[str, Any]:
    """Three posts in the first days of a person who joined five days ago and follows a few dozen accounts.

    (Hundreds followed within days, with no one following back, is the bought-follower pattern of the
    Bot Repository's fake-follower sets, not a newcomer's.)
    """
    rng = np.random.default_rng(seed)
    joined = END.timestamp() - 5 * DAY
    posts = [
        {
            "_t": joined + float(rng.uniform(0.2, 5)) * DAY,
            "source": ["Twitter for iPhone", "Twitter for Android"][int(rng.integers(2))],
            "text": "Hello, first time here, " + "thoughts about the game last night, " * int(rng.integers(1, 6)),
            "is_reply": bool(rng.random() < 0.3),
            "lang": "en",
        }
        for _ in range(3)
    ]
    account = _profile("sarah_codes", 5, location="Columbus, OH", followers_count=2, friends_count=48)
    account.update(statuses_count=3, description="Engineer. Runner.")
    return _body(account, posts)


def office_worker(seed: int = 7) -> dict[str, Any]:
    """A Texan posting on weekdays in her own office hours (UTC-5): ordinary, not a shift abroad."""
    body = office_hours_troll(-5, seed)
    for post in body["posts"]:
        post.update(source="Twitter for iPhone", is_retweet=False, hashtags=[], text="lunch break thoughts on work")
    body["account"].update(followers_count=230, description="Accountant in Austin")
    return body


def volume_bot(seed: int = 8) -> dict[str, Any]:
    """Sixty link posts a day round the clock for ten days, near-regular, from an ordinary web client.

    State bot networks averaged more than 50 posts a day: volume and regularity alone, no automation client.
    """
    rng = np.random.default_rng(seed)
    start = END.timestamp() - 10 * DAY
    posts = [
        {
            "_t": start + i * 1440 + float(rng.integers(-60, 60)),
            "source": "Twitter Web App",
            "text": f"Breaking: story {i} https://news-wire.example/{i}",
            "urls": [f"https://news-wire.example/{i}"],
            "lang": "en",
        }
        for i in range(600)
    ]
    account = _profile("newswire_247", 300, followers_count=45, friends_count=900, statuses_count=18000)
    return _body(account, posts)


def declared_bot(seed: int = 9) -> dict[str, Any]:
    """An ordinary-looking timeline whose account declares itself automated (Mastodon's bot flag)."""
    body = modern_user(seed, n_posts=40)
    body["account"]["declared_bot"] = True
    return body


def language_switch_hijack(seed: int = 10) -> dict[str, Any]:
    """A Spanish Android user for a year, three months of silence, then English crypto links from the web."""
    rng = np.random.default_rng(seed)
    posts = []
    for i in range(120):
        t = END.timestamp() - 500 * DAY + i * 3 * DAY + float(rng.uniform(12, 16)) * 3600
        posts.append({"_t": t, "source": "Twitter for Android", "lang": "es", "text": f"qué partido hoy {i}"})
    restart = posts[-1]["_t"] + 90 * DAY
    for i in range(80):
        posts.append(
            {
                "_t": restart + i * 0.25 * DAY + float(rng.uniform(0, 2)) * 3600,
                "source": "Twitter Web App",
                "lang": "en",
                "text": f"Free airdrop {i} https://claim-token.example/{i}",
                "urls": [f"https://claim-token.example/{i}"],
                "hashtags": ["crypto", "airdrop"],
            }
        )
    account = _profile("lucia_m", 1800, followers_count=260, friends_count=300, statuses_count=900)
    return _body(account, posts)


def quoting_user(seed: int = 11) -> dict[str, Any]:
    """A 2023 user who mostly quotes and writes near the 280-character limit, from her phone."""
    body = modern_user(seed, n_posts=150)
    for i, post in enumerate(body["posts"]):
        post.update(is_quote=i % 2 == 0, is_reply=False, text=("A long considered take on policy. " * 8)[:275])
    return body


def phone_amplifier(seed: int = 12) -> dict[str, Any]:
    """72 reposts a day of one account around the clock for five days, from a phone client, no followers.

    The takedown in the field had some 150,000 such amplifiers for 23,750 core accounts.
    """
    rng = np.random.default_rng(seed)
    start = END.timestamp() - 5 * DAY
    posts = [
        {
            "_t": start + i * 1200 + float(rng.integers(0, 240)),
            "source": "Twitter for Android",
            "is_retweet": True,
            "retweet_of": {"id": str(5000 + i), "author": "partyvoice"},
            "mentions": ["partyvoice"],
            "text": f"RT @partyvoice: our message {i}",
        }
        for i in range(360)
    ]
    account = _profile(
        "user83920174", 40, followers_count=0, friends_count=12, default_profile=True, default_profile_image=True
    )
    return _body(account, posts)


def thin_operation_account(seed: int, utc_offset: float = 7.0) -> dict[str, Any]:
    """An operation account of the released data: 5-15 posts, mostly reposts of two sources with the campaign's
    hashtag, on weekday office hours of the operator's zone, created days before, no followers."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 16))
    start = END - timedelta(days=int(rng.integers(20, 60)))
    posts = []
    while len(posts) < n:
        day = start + timedelta(days=int(rng.integers(0, 14)))
        if day.weekday() >= 5:
            continue
        local = float(rng.uniform(9, 17.5))
        t = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + (local - utc_offset) * 3600
        retweet = rng.random() < 0.8
        source = ["armyvoice", "unitpress"][int(rng.integers(2))]
        posts.append(
            {
                "_t": t,
                "source": "Twitter Web App",
                "is_retweet": bool(retweet),
                "retweet_of": {"id": str(int(rng.integers(1e6))), "author": source} if retweet else None,
                "hashtags": ["ArmyCares"] if rng.random() < 0.7 else [],
                "text": f"RT @{source}: the army helps" if retweet else "the army helps the people",
            }
        )
    account = {
        "id": f"op{seed}",
        "created_at": _stamp(start.timestamp() - float(rng.uniform(1, 10)) * DAY),
        "followers_count": 0,
        "friends_count": int(rng.integers(0, 8)),
        "description": "",
    }
    return _body(account, [{k: v for k, v in p.items() if v is not None} for p in posts])


def thin_ordinary_user(seed: int) -> dict[str, Any]:
    """An ordinary user seen through 5-15 posts: her own words, replies, a repost now and then, evenings
    and weekends included, an account some years old."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 16))
    posts = []
    for _ in range(n):
        t = END.timestamp() - float(rng.uniform(0, 90)) * DAY
        t = t - (t % DAY) + float(rng.uniform(12, 28)) * 3600
        kind = rng.random()
        posts.append(
            {
                "_t": t,
                "source": ["Twitter for iPhone", "Twitter for Android", "Twitter Web App"][int(rng.integers(3))],
                "text": "thinking about " + "the weekend plans, " * int(rng.integers(1, 8)),
                "is_reply": bool(kind < 0.35),
                "is_retweet": bool(kind > 0.85),
                "hashtags": ["nba"] if rng.random() < 0.1 else [],
            }
        )
    account = _profile(
        f"person{seed}", float(rng.uniform(300, 4000)), followers_count=int(rng.integers(20, 900)), friends_count=300
    )
    return _body(account, posts)
