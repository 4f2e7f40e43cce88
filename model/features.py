"""Behavioural features of one account: the single pure function shared by training and serving.

Every feature is a finite float. ``MISSING`` (-1.0) marks a feature that the input cannot support
(no posts, no client names, no creation date, ...); every real value is >= 0, so the two never meet.
The function reads no clock and gives the same vector for any order of the posts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import chain
from typing import Any

import numpy as np

from model import clients
from model.records import Account, Post, Timeline

MISSING = -1.0
DAY = 86400.0
# A gap at least this long counts as dormancy when splitting a timeline into history and recent activity.
DORMANT_SPLIT_DAYS = 3.0
# Operator time zones reported in troll-factory takedowns (Moscow, Beijing), hours east of UTC.
OPERATOR_OFFSETS = {"utc3": 3, "utc8": 8}


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One named feature: what it measures and how to say its value to an analyst."""

    name: str
    group: str
    label: str
    unit: str
    description: str
    # Needs second-resolution timestamps: minute-rounded data (some troll dumps) distorts it.
    sub_minute: bool = False
    # The request field whose absence leaves the feature MISSING.
    needs: str | None = None


FEATURES: tuple[FeatureSpec, ...] = (
    # Profile
    FeatureSpec(
        "account_age_days",
        "profile",
        "account age",
        "days",
        "Days from account creation to observed_at.",
        needs="account.created_at",
    ),
    FeatureSpec(
        "followers_count", "profile", "followers", "count", "Followers of the account.", needs="account.followers_count"
    ),
    FeatureSpec(
        "friends_count",
        "profile",
        "accounts followed",
        "count",
        "Accounts the account follows.",
        needs="account.friends_count",
    ),
    FeatureSpec(
        "followers_friends_ratio",
        "profile",
        "followers per followed account",
        "ratio",
        "followers / (friends + 1).",
        needs="account.followers_count",
    ),
    FeatureSpec(
        "statuses_count",
        "profile",
        "lifetime posts",
        "count",
        "Posts the account has made in its life.",
        needs="account.statuses_count",
    ),
    FeatureSpec(
        "statuses_per_day",
        "profile",
        "lifetime posts a day",
        "rate",
        "statuses_count / account age in days (at least 1).",
        needs="account.created_at",
    ),
    FeatureSpec(
        "followers_per_day",
        "profile",
        "followers gained a day",
        "rate",
        "followers_count / account age in days (at least 1).",
        needs="account.created_at",
    ),
    FeatureSpec(
        "friends_per_day",
        "profile",
        "accounts followed a day",
        "rate",
        "friends_count / account age in days (at least 1).",
        needs="account.created_at",
    ),
    FeatureSpec(
        "favourites_per_day",
        "profile",
        "likes given a day",
        "rate",
        "favourites_count / account age in days (at least 1).",
        needs="account.created_at",
    ),
    FeatureSpec(
        "listed_per_day",
        "profile",
        "lists joined a day",
        "rate",
        "listed_count / account age in days (at least 1).",
        needs="account.created_at",
    ),
    FeatureSpec(
        "favourites_count",
        "profile",
        "likes given",
        "count",
        "Posts the account has liked.",
        needs="account.favourites_count",
    ),
    FeatureSpec(
        "listed_count",
        "profile",
        "lists the account is on",
        "count",
        "Public lists that include the account.",
        needs="account.listed_count",
    ),
    FeatureSpec(
        "default_profile",
        "profile",
        "default profile theme",
        "flag",
        "1 if the profile theme was never changed.",
        needs="account.default_profile",
    ),
    FeatureSpec(
        "default_profile_image",
        "profile",
        "default profile image",
        "flag",
        "1 if the account still has the default avatar.",
        needs="account.default_profile_image",
    ),
    FeatureSpec(
        "verified", "profile", "verified", "flag", "1 if the platform verified the account.", needs="account.verified"
    ),
    FeatureSpec(
        "description_length",
        "profile",
        "bio length",
        "chars",
        "Characters in the profile description (0 = empty bio).",
        needs="account.description",
    ),
    FeatureSpec(
        "screen_name_length",
        "profile",
        "handle length",
        "chars",
        "Characters in the screen name.",
        needs="account.screen_name",
    ),
    FeatureSpec(
        "screen_name_digits",
        "profile",
        "digits in the handle",
        "count",
        "Digits in the screen name (generated handles carry many).",
        needs="account.screen_name",
    ),
    FeatureSpec(
        "screen_name_entropy",
        "profile",
        "handle randomness",
        "bits",
        "Shannon entropy of the screen name's characters, bits per character.",
        needs="account.screen_name",
    ),
    FeatureSpec(
        "declares_automation",
        "profile",
        "calls itself a bot",
        "flag",
        "1 if handle, name or bio names the account a bot or automated feed.",
        needs="account.screen_name",
    ),
    FeatureSpec(
        "profile_url", "profile", "profile link", "flag", "1 if the profile carries a link.", needs="account.url"
    ),
    FeatureSpec(
        "name_length",
        "profile",
        "display name length",
        "characters",
        "Characters in the display name.",
        needs="account.name",
    ),
    FeatureSpec(
        "name_digits",
        "profile",
        "digits in the display name",
        "count",
        "Digits in the display name.",
        needs="account.name",
    ),
    FeatureSpec(
        "name_handle_similarity",
        "profile",
        "name/handle similarity",
        "share",
        "Similarity of display name and screen name (0 = unrelated, 1 = same).",
        needs="account.name",
    ),
    # Volume and rhythm
    FeatureSpec(
        "posts_per_day",
        "volume",
        "posts a day",
        "rate",
        "Posts per day over the span of the supplied posts (span at least one day).",
        needs="posts",
    ),
    FeatureSpec(
        "max_posts_per_hour",
        "volume",
        "most posts in one clock hour",
        "count",
        "Largest number of posts in a single UTC clock hour.",
        needs="posts",
    ),
    FeatureSpec(
        "max_posts_per_day",
        "volume",
        "most posts in one day",
        "count",
        "Largest number of posts in a single UTC day.",
        needs="posts",
    ),
    FeatureSpec(
        "gap_median_s",
        "volume",
        "median gap between posts",
        "seconds",
        "Median seconds between consecutive posts.",
        needs="posts",
    ),
    FeatureSpec(
        "gap_cv",
        "volume",
        "gap irregularity",
        "ratio",
        "Coefficient of variation of the gaps between posts (0 = clockwork).",
        needs="posts",
    ),
    FeatureSpec(
        "gap_share_under_2s",
        "volume",
        "posts within 2 s of the previous one",
        "share",
        "Share of gaps shorter than 2 seconds.",
        sub_minute=True,
        needs="posts",
    ),
    FeatureSpec(
        "gap_share_repeated",
        "volume",
        "gaps that repeat exactly",
        "share",
        "Share of gaps whose exact length in seconds occurs more than once (schedulers).",
        sub_minute=True,
        needs="posts",
    ),
    FeatureSpec(
        "slots_15min_share",
        "volume",
        "15-minute slots of the day used",
        "share",
        "Distinct 15-minute slots of the day used, over min(posts, 96).",
        needs="posts",
    ),
    FeatureSpec(
        "burstiness",
        "volume",
        "burstiness",
        "score",
        "(B + 1) / 2 for Goh-Barabasi burstiness B of the gaps: 0 clockwork, 0.5 random, 1 bursty.",
        needs="posts",
    ),
    FeatureSpec(
        "longest_gap_days",
        "volume",
        "longest silence",
        "days",
        "Longest gap between consecutive posts, in days.",
        needs="posts",
    ),
    # Clock
    FeatureSpec(
        "hour_entropy",
        "clock",
        "spread over the hours of the day",
        "share",
        "Entropy of the hour-of-day histogram over its maximum (1 = posts round the clock).",
        needs="posts",
    ),
    FeatureSpec(
        "peak_hour_share",
        "clock",
        "posts in the busiest hour of the day",
        "share",
        "Share of posts in the most used hour of the day.",
        needs="posts",
    ),
    FeatureSpec(
        "night_silence_hours",
        "clock",
        "longest daily silence",
        "hours",
        "Longest run of hours of the day with no post (people sleep); needs 10 posts.",
        needs="posts",
    ),
    FeatureSpec(
        "office_share_utc3",
        "clock",
        "posts in Moscow office hours",
        "share",
        "Share of posts Monday-Friday 09:00-18:00 at UTC+3.",
        needs="posts",
    ),
    FeatureSpec(
        "office_share_utc8",
        "clock",
        "posts in Beijing office hours",
        "share",
        "Share of posts Monday-Friday 09:00-18:00 at UTC+8.",
        needs="posts",
    ),
    FeatureSpec(
        "office_share_best",
        "clock",
        "posts in office hours of the best-fitting time zone",
        "share",
        "Largest share of posts Monday-Friday 09:00-18:00 over time zones UTC-12..UTC+14.",
        needs="posts",
    ),
    FeatureSpec(
        "weekend_share",
        "clock",
        "posts at weekends",
        "share",
        "Share of posts on Saturday or Sunday in the best-fitting office time zone.",
        needs="posts",
    ),
    # Client
    FeatureSpec(
        "distinct_sources",
        "client",
        "distinct posting clients",
        "count",
        "Number of different posting clients.",
        needs="posts.source",
    ),
    FeatureSpec(
        "top_source_share",
        "client",
        "posts from the main client",
        "share",
        "Share of posts from the most used client.",
        needs="posts.source",
    ),
    FeatureSpec(
        "desktop_web_share",
        "client",
        "posts from desktop web clients",
        "share",
        "Share of posts from desktop web clients (Twitter Web Client, TweetDeck, ...).",
        needs="posts.source",
    ),
    FeatureSpec(
        "mobile_share",
        "client",
        "posts from phone apps",
        "share",
        "Share of posts from phone and tablet apps.",
        needs="posts.source",
    ),
    FeatureSpec(
        "automation_share",
        "client",
        "posts from automation tools",
        "share",
        "Share of posts from scheduling and automation tools (curated list in model/clients.py).",
        needs="posts.source",
    ),
    FeatureSpec(
        "unknown_source_share",
        "client",
        "posts from unrecognised clients",
        "share",
        "Share of posts from clients on no curated list (custom per-account apps).",
        needs="posts.source",
    ),
    # Content
    FeatureSpec(
        "retweet_share", "content", "reposts", "share", "Share of posts that are retweets or boosts.", needs="posts"
    ),
    FeatureSpec("reply_share", "content", "replies", "share", "Share of posts that are replies.", needs="posts"),
    FeatureSpec("quote_share", "content", "quotes", "share", "Share of posts that quote another post.", needs="posts"),
    FeatureSpec("hashtags_per_post", "content", "hashtags per post", "rate", "Mean hashtags per post.", needs="posts"),
    FeatureSpec("mentions_per_post", "content", "mentions per post", "rate", "Mean mentions per post.", needs="posts"),
    FeatureSpec("urls_per_post", "content", "links per post", "rate", "Mean links per post.", needs="posts"),
    FeatureSpec(
        "top_hashtag_share",
        "content",
        "posts carrying the top hashtag",
        "share",
        "Share of posts that carry the account's most used hashtag (campaigns).",
        needs="posts",
    ),
    FeatureSpec(
        "top_domain_share",
        "content",
        "links to the top domain",
        "share",
        "Share of links that point to the most linked domain.",
        needs="posts.urls",
    ),
    FeatureSpec(
        "duplicate_text_share",
        "content",
        "repeated texts",
        "share",
        "Share of original posts whose text (links, mentions, digits removed) repeats.",
        needs="posts.text",
    ),
    FeatureSpec(
        "distinct_languages",
        "content",
        "languages used",
        "count",
        "Number of different post languages.",
        needs="posts.lang",
    ),
    FeatureSpec(
        "language_entropy",
        "content",
        "language mix",
        "bits",
        "Entropy of the post languages, bits.",
        needs="posts.lang",
    ),
    FeatureSpec(
        "text_length_mean", "content", "mean text length", "chars", "Mean characters per post text.", needs="posts.text"
    ),
    FeatureSpec(
        "text_length_cv",
        "content",
        "text length variation",
        "ratio",
        "Coefficient of variation of text length.",
        needs="posts.text",
    ),
    # Self-consistency (hijack): history versus recent activity, split at the longest silence.
    FeatureSpec(
        "creation_to_first_post_days",
        "consistency",
        "days from creation to the first supplied post",
        "days",
        "Days between account creation and its oldest supplied post.",
        needs="account.created_at",
    ),
    FeatureSpec(
        "recent_share",
        "consistency",
        "posts after the split",
        "share",
        "Share of posts after the split point (the longest silence, else the middle).",
        needs="posts",
    ),
    FeatureSpec(
        "drift_language",
        "consistency",
        "language change",
        "share",
        "Jensen-Shannon divergence of post languages, history vs recent (0 same, 1 disjoint).",
        needs="posts.lang",
    ),
    FeatureSpec(
        "drift_source",
        "consistency",
        "client change",
        "share",
        "Jensen-Shannon divergence of posting clients, history vs recent.",
        needs="posts.source",
    ),
    FeatureSpec(
        "drift_hour",
        "consistency",
        "time-of-day change",
        "share",
        "Jensen-Shannon divergence of hour-of-day profiles, history vs recent.",
        needs="posts",
    ),
    FeatureSpec(
        "drift_hashtag",
        "consistency",
        "topic change",
        "share",
        "Jensen-Shannon divergence of hashtags, history vs recent.",
        needs="posts.hashtags",
    ),
    FeatureSpec(
        "drift_domain",
        "consistency",
        "link-domain change",
        "share",
        "Jensen-Shannon divergence of linked domains, history vs recent.",
        needs="posts.urls",
    ),
    FeatureSpec(
        "drift_retweet_share",
        "consistency",
        "change in repost share",
        "share",
        "Absolute change of the retweet share, history vs recent.",
        needs="posts",
    ),
    FeatureSpec(
        "drift_rate",
        "consistency",
        "change in posting rate",
        "ratio",
        "|log10| of the ratio of posting rates, recent vs history.",
        needs="posts",
    ),
)

FEATURE_NAMES: tuple[str, ...] = tuple(spec.name for spec in FEATURES)
FEATURE_INDEX: dict[str, int] = {name: i for i, name in enumerate(FEATURE_NAMES)}
N_FEATURES = len(FEATURES)

_I = FEATURE_INDEX
# Hours of the week (Monday 00:00 = 0) that are office hours, Monday-Friday 09:00-18:00.
_HOW = np.arange(168)
_OFFICE = ((_HOW // 24) < 5) & ((_HOW % 24) >= 9) & ((_HOW % 24) < 18)
_WEEKEND = (_HOW // 24) >= 5
_OFFSETS = np.arange(-12, 15)
# Row k: which UTC hours of the week are office hours at offset _OFFSETS[k] (local = UTC + offset).
_OFFICE_BY_OFFSET = np.stack([np.roll(_OFFICE, -k) for k in _OFFSETS]).astype(float)
_WEEKEND_BY_OFFSET = np.stack([np.roll(_WEEKEND, -k) for k in _OFFSETS]).astype(float)
# Epoch day 0 (1970-01-01) was a Thursday: shift so that hour-of-week 0 is Monday 00:00.
_EPOCH_HOW_SHIFT = 3 * 24
_LINKS_MENTIONS = re.compile(r"https?://\S+|@\w+")
# Digits and punctuation become spaces: duplicate texts differ in counters, links and emphasis.
_NON_WORD = re.compile(r"[^\w\s]|\d")
# Self-declared automation: "bot" as a word or handle part, *_ebooks accounts, "automated"/"auto-posting".
_DECLARES_BOT = re.compile(r"(\bbot\b|bot_|_bot|ebooks|\bautomated\b|\bauto-?post)", re.IGNORECASE)
# Handles may end in "bot" without a separator (newsbot); names may not (Talbot).
_HANDLE_BOT = re.compile(r"bots?$", re.IGNORECASE)
_WRAPPER_HOSTS = frozenset({"t.co"})
# Host of an absolute or scheme-less link, without user info or port.
_HOST = re.compile(r"^\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?(?://)?(?:[^/?#@]*@)?([^/?#:@\s]+)")


def _order(tl: Timeline) -> list[int]:
    """Positions of the posts sorted by time, ties broken on every field so that input order never matters."""
    order = np.argsort(tl.created_at, kind="stable")
    t = tl.created_at[order]
    if t.size < 2 or bool((t[1:] > t[:-1]).all()):
        return order.tolist()
    keys = [
        (
            float(tl.created_at[i]),
            tl.id[i] or "",
            tl.text[i] or "",
            tl.source[i] or "",
            tl.lang[i] or "",
            bool(tl.is_retweet[i]),
            bool(tl.is_reply[i]),
            bool(tl.is_quote[i]),
            tuple(tl.hashtags[i]),
            tuple(tl.mentions[i]),
            tuple(tl.urls[i]),
        )
        for i in range(t.size)
    ]
    return sorted(range(t.size), key=keys.__getitem__)


def _entropy_bits(counts: Iterable[int]) -> float:
    arr = np.fromiter(counts, dtype=float)
    total = arr.sum()
    if total <= 0:
        return 0.0
    p = arr[arr > 0] / total
    return float(-(p * np.log2(p)).sum())


def _js_divergence(a: Counter, b: Counter) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) of two count histograms; MISSING if either is empty."""
    keys = list(a.keys() | b.keys())
    return _js_arrays(
        np.fromiter(map(a.__getitem__, keys), dtype=float, count=len(keys)),
        np.fromiter(map(b.__getitem__, keys), dtype=float, count=len(keys)),
    )


def _js_arrays(counts_a: np.ndarray, counts_b: np.ndarray) -> float:
    """``_js_divergence`` of two aligned count vectors."""
    ta, tb = float(counts_a.sum()), float(counts_b.sum())
    if ta == 0 or tb == 0:
        return MISSING
    p = counts_a / ta
    q = counts_b / tb
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float((x[mask] * np.log2(x[mask] / m[mask])).sum())

    return float(min(1.0, max(0.0, (kl(p) + kl(q)) / 2)))


def _counts(values: list[str], skip_blank: bool = False) -> Counter:
    """How often each value occurs (blank ones left out when ``skip_blank``)."""
    counts = Counter(values)
    if skip_blank:
        counts.pop("", None)
    return counts


def _top_tag_posts(c: _Columns) -> int:
    """How many posts carry the most used hashtag (a tag repeated within one post counts once)."""
    if not c.tags:
        return 0
    post_of = np.repeat(np.arange(c.tag_ends.size), np.diff(c.tag_ends, prepend=0)).tolist()
    distinct = set(zip(post_of, c.tags))
    counts = Counter(c.tags) if len(distinct) == len(c.tags) else Counter(tag for _, tag in distinct)
    return max(counts.values())


def link_domain(url: str) -> str:
    """The host of a link without ``www.``; empty for platform link wrappers (t.co) that hide it."""
    match = _HOST.match(url)
    host = match.group(1).lower() if match else ""
    if host in _WRAPPER_HOSTS:
        # Platform link wrappers say nothing about the destination.
        return ""
    return host[4:] if host.startswith("www.") else host


def _profile(account: Account, as_of: float, out: np.ndarray) -> None:
    age_days = None
    if account.created_at is not None:
        age_days = max(0.0, (as_of - account.created_at) / DAY)
        out[_I["account_age_days"]] = age_days
    for name in ("followers_count", "friends_count", "statuses_count", "favourites_count", "listed_count"):
        value = getattr(account, name)
        if value is not None:
            out[_I[name]] = float(value)
    if account.followers_count is not None and account.friends_count is not None:
        out[_I["followers_friends_ratio"]] = account.followers_count / (account.friends_count + 1.0)
    if age_days is not None:
        # Growth over the account's life (BotometerLite's rates): comparable across snapshots of any era.
        for count, rate in (
            ("statuses_count", "statuses_per_day"),
            ("followers_count", "followers_per_day"),
            ("friends_count", "friends_per_day"),
            ("favourites_count", "favourites_per_day"),
            ("listed_count", "listed_per_day"),
        ):
            value = getattr(account, count)
            if value is not None:
                out[_I[rate]] = value / max(age_days, 1.0)
    if account.name is not None:
        out[_I["name_length"]] = float(len(account.name))
        out[_I["name_digits"]] = float(sum(ch.isdigit() for ch in account.name))
    for name in ("default_profile", "default_profile_image", "verified"):
        value = getattr(account, name)
        if value is not None:
            out[_I[name]] = 1.0 if value else 0.0
    if account.description is not None:
        out[_I["description_length"]] = float(len(account.description.strip()))
    texts = [t for t in (account.screen_name, account.name, account.description) if t]
    if texts:
        declared = any(_DECLARES_BOT.search(t) for t in texts) or bool(_HANDLE_BOT.search(account.screen_name or ""))
        out[_I["declares_automation"]] = 1.0 if declared else 0.0
    if account.url is not None:
        out[_I["profile_url"]] = 1.0 if account.url.strip() else 0.0
    # The local part only: a Mastodon handle carries its instance (alice@mastodon.social), which says
    # nothing about the account's behaviour.
    handle = (account.screen_name or "").lstrip("@").split("@", 1)[0]
    if handle:
        out[_I["screen_name_length"]] = float(len(handle))
        out[_I["screen_name_digits"]] = float(sum(ch.isdigit() for ch in handle))
        out[_I["screen_name_entropy"]] = _entropy_bits(Counter(handle.lower()).values())
        if account.name is not None:
            a = "".join(ch for ch in account.name.lower() if ch.isalnum())
            b = "".join(ch for ch in handle.lower() if ch.isalnum())
            out[_I["name_handle_similarity"]] = SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def _run_lengths(ordered: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal values in a sorted array (the counts np.unique would give)."""
    bounds = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    return np.diff(np.concatenate(([0], bounds, [ordered.size])))


def _timing(t: np.ndarray, out: np.ndarray) -> None:
    # t is sorted, so buckets of it are sorted too: counts are run lengths, no np.unique needed.
    n = t.size
    hour_bucket = np.floor(t / 3600.0)
    day_bucket = np.floor(t / DAY)
    out[_I["max_posts_per_hour"]] = float(_run_lengths(hour_bucket).max())
    out[_I["max_posts_per_day"]] = float(_run_lengths(day_bucket).max())
    slots = np.count_nonzero(np.bincount(np.floor((t % DAY) / 900.0).astype(np.intp), minlength=97))
    out[_I["slots_15min_share"]] = slots / min(n, 96)

    hours = (hour_bucket % 24).astype(int)
    hour_counts = np.bincount(hours, minlength=24)
    out[_I["hour_entropy"]] = _entropy_bits(hour_counts) / math.log2(24)
    out[_I["peak_hour_share"]] = hour_counts.max() / n
    if n >= 10:
        # Longest circular run of empty hours: doubling the day handles runs across midnight.
        empty = np.concatenate([hour_counts == 0, hour_counts == 0]).tolist()
        run = best = 0
        for is_empty in empty:
            run = run + 1 if is_empty else 0
            best = max(best, run)
        out[_I["night_silence_hours"]] = float(min(best, 24))

    how = ((hour_bucket + _EPOCH_HOW_SHIFT) % 168).astype(int)
    how_counts = np.bincount(how, minlength=168)
    # Local hour-of-week at offset k is (how + k) mod 168: roll the office mask the other way.
    office = _OFFICE_BY_OFFSET @ how_counts / n
    for key, offset in OPERATOR_OFFSETS.items():
        out[_I[f"office_share_{key}"]] = float(office[offset - _OFFSETS[0]])
    best = int(np.argmax(office))
    out[_I["office_share_best"]] = float(office[best])
    out[_I["weekend_share"]] = float(_WEEKEND_BY_OFFSET[best] @ how_counts / n)

    if n < 2:
        return
    span_days = (t[-1] - t[0]) / DAY
    out[_I["posts_per_day"]] = n / max(span_days, 1.0)
    gaps = np.diff(t)
    mean = float(gaps.mean())
    std = float(gaps.std())
    ordered = np.sort(gaps)
    m = ordered.size
    # The median as np.median computes it, from the sort needed below anyway.
    out[_I["gap_median_s"]] = float(ordered[m // 2]) if m % 2 else float((ordered[m // 2 - 1] + ordered[m // 2]) / 2)
    out[_I["gap_cv"]] = std / mean if mean > 0 else 0.0
    out[_I["gap_share_under_2s"]] = float((gaps < 2.0).mean())
    counts = _run_lengths(np.round(ordered))
    out[_I["gap_share_repeated"]] = float(counts[counts > 1].sum() / gaps.size) if gaps.size > 1 else 0.0
    out[_I["burstiness"]] = ((std - mean) / (std + mean) + 1.0) / 2.0 if std + mean > 0 else 0.0
    out[_I["longest_gap_days"]] = float(ordered[-1] / DAY)


def _clients(sources: list[str | None], out: np.ndarray) -> None:
    known = [s for s in sources if s is not None]
    if not known:
        return
    counts = Counter(known)
    n = len(known)
    out[_I["distinct_sources"]] = float(len(counts))
    out[_I["top_source_share"]] = max(counts.values()) / n
    out[_I["desktop_web_share"]] = sum(c for s, c in counts.items() if s in clients.DESKTOP_WEB) / n
    out[_I["mobile_share"]] = sum(c for s, c in counts.items() if s in clients.MOBILE) / n
    out[_I["automation_share"]] = sum(c for s, c in counts.items() if clients.is_automation(s)) / n
    out[_I["unknown_source_share"]] = sum(c for s, c in counts.items() if not clients.is_known(s)) / n


# Joins texts for one pass of each normalisation step: whitespace to the regexes and str.split, kept by
# _NON_WORD, ignored by case mapping, and absent from real posts (a text holding it takes the slow road).
_SEPARATOR = "\x1c"


def _spaced_out(code: int) -> bool:
    """Whether normalisation turns this code point into a plain space: ``_NON_WORD`` matches it, or it is
    whitespace other than the separator (which ``str.split`` would fold anyway)."""
    char = chr(code)
    return _NON_WORD.match(char) is not None or (char.isspace() and char != _SEPARATOR)


# Per code point: 0 kept, 1 turned into a space (``_spaced_out``), 2 not yet classified.
# Filled on demand: classifying all 1.1 million code points up front would slow the start.
_CODE_CLASS = np.full(0x110000, 2, dtype=np.uint8)
# The same for ASCII text as bytes: bytes.translate is a plain table lookup.
_SPACE_OUT_ASCII = bytes(32 if _spaced_out(code) else code for code in range(128)) + bytes(range(128, 256))


def _space_out(text: str) -> str:
    """Replaces every character ``_NON_WORD`` matches (digits, punctuation, symbols) and all whitespace but
    the separator with a plain space."""
    if text.isascii():
        return text.encode("ascii").translate(_SPACE_OUT_ASCII).decode("ascii")
    # One vectorised table lookup over the code points instead of a regex substitution per character.
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _CODE_CLASS[codes]
    unknown = classes == 2
    if unknown.any():
        for code in np.unique(codes[unknown]).tolist():
            _CODE_CLASS[code] = _spaced_out(code)
        classes = _CODE_CLASS[codes]
    return np.where(classes == 1, np.uint32(32), codes).tobytes().decode("utf-32-le", "surrogatepass")


def _without_links(low: str) -> str:
    return _LINKS_MENTIONS.sub(" ", low) if "@" in low or "http" in low else low


def _normalise_text(text: str) -> str:
    # Links and mentions out, then digits and non-word characters, then whitespace folded.
    return " ".join(_space_out(_without_links(text.lower())).split())


def _spaced(texts: list[str]) -> str | None:
    """The texts joined by the separator, lowered, without links or mentions, and every other dropped
    character a plain space: one pass of each step over all texts. None when a text holds the separator
    (then each is normalised on its own)."""
    joined = _SEPARATOR.join(texts)
    if len(texts) < 2 or joined.count(_SEPARATOR) != len(texts) - 1:
        return None
    return _space_out(_without_links(joined.lower()))


def normalised_texts(texts: list[str]) -> list[str]:
    """Texts without links, mentions, digits, punctuation or case (``_normalise_text``), each step run once over all."""
    spaced = _spaced(texts)
    if spaced is None:
        return [_normalise_text(x) for x in texts]
    return [" ".join(part.split()) for part in spaced.split(_SEPARATOR)]


def duplicate_share(texts: list[str]) -> float:
    """Share of the texts whose normalised form (``normalised_texts``, empty ones left out) repeats;
    ``MISSING`` below two non-empty texts.

    Folding each text's spaces is most of the normalisation's cost, and only repeats need it: two texts
    normalise alike only if they are equal with their spaces removed, so only such texts are folded.
    """
    spaced = _spaced(texts)
    if spaced is None:
        parts = [_normalise_text(x) for x in texts]
        squeezed = [part.replace(" ", "") for part in parts]
    else:
        # Spaces are the only whitespace left, so removing them leaves what folding cannot change.
        parts = spaced.split(_SEPARATOR)
        squeezed = spaced.replace(" ", "").split(_SEPARATOR)
    counts = Counter(squeezed)
    kept = len(squeezed) - counts.pop("", 0)
    if kept < 2:
        return MISSING
    alike = {key for key, count in counts.items() if count > 1}
    if not alike:
        return 0.0
    exact = Counter(" ".join(part.split()) for part, key in zip(parts, squeezed) if key in alike)
    return sum(count for count in exact.values() if count > 1) / kept


@dataclass(frozen=True, slots=True)
class _Columns:
    """The timeline's columns in time order, normalised once for all feature groups.

    Hashtags and link domains are flat lists over all posts (most posts carry none, and the features
    count them over whole halves of the timeline); ``*_ends[i]`` is where post i's entries end.
    """

    t: np.ndarray
    texts: list[str | None]
    sources: list[str | None]
    langs: list[str | None]
    retweet: np.ndarray
    reply: np.ndarray
    quote: np.ndarray
    tags: list[str]
    tag_ends: np.ndarray
    domains: list[str]
    domain_ends: np.ndarray
    n_mentions: int


def _reordered(values: list[Any], order: list[int], kind: str) -> list[Any]:
    if kind == "ascending":
        return values
    if kind == "descending":
        return values[::-1]
    return [values[i] for i in order]


def _flat(lists: list[Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """Every entry of the lists in order, and where each list's entries end."""
    ends = np.cumsum(np.fromiter(map(len, lists), dtype=np.intp, count=len(lists)))
    return list(chain.from_iterable(lists)), ends


def _folded_tags(tags: list[str]) -> list[str]:
    """Hashtags case-folded and without ``#``, each step one pass over all of them."""
    joined = _SEPARATOR.join(tags)
    if not tags or joined.count(_SEPARATOR) != len(tags) - 1:
        return [tag.lower().lstrip("#") for tag in tags]
    folded = joined.lower().split(_SEPARATOR)
    return [tag.lstrip("#") for tag in folded] if "#" in joined else folded


def _columns(tl: Timeline, as_of: float) -> _Columns:
    order = _order(tl)
    n = len(order)
    # Timelines usually arrive oldest or newest first: then reordering is a copy or nothing.
    kind = "ascending" if order == list(range(n)) else "descending" if order == list(range(n - 1, -1, -1)) else "mixed"
    source_table = {s: clients.normalise_source(s) for s in set(tl.source)}
    tags, tag_ends = _flat(_reordered(tl.hashtags, order, kind))
    urls, domain_ends = _flat(_reordered(tl.urls, order, kind))
    domain_table = {u: link_domain(u) for u in set(urls)}
    return _Columns(
        t=np.minimum(tl.created_at[order], as_of),
        texts=_reordered(tl.text, order, kind),
        sources=[source_table[s] for s in _reordered(tl.source, order, kind)],
        langs=_reordered(tl.lang, order, kind),
        retweet=tl.is_retweet[order],
        reply=tl.is_reply[order],
        quote=tl.is_quote[order],
        tags=_folded_tags(tags),
        tag_ends=tag_ends,
        domains=list(map(domain_table.__getitem__, urls)),
        domain_ends=domain_ends,
        n_mentions=sum(map(len, tl.mentions)),
    )


def _content(c: _Columns, out: np.ndarray) -> None:
    n = c.t.size
    out[_I["retweet_share"]] = int(np.count_nonzero(c.retweet)) / n
    out[_I["reply_share"]] = int(np.count_nonzero(c.reply)) / n
    out[_I["quote_share"]] = int(np.count_nonzero(c.quote)) / n
    out[_I["hashtags_per_post"]] = len(c.tags) / n
    out[_I["mentions_per_post"]] = c.n_mentions / n
    out[_I["urls_per_post"]] = len(c.domains) / n
    out[_I["top_hashtag_share"]] = _top_tag_posts(c) / n
    domain_counts = _counts(c.domains, skip_blank=True)
    if domain_counts:
        out[_I["top_domain_share"]] = max(domain_counts.values()) / sum(domain_counts.values())

    texts = [x for x in c.texts if x is not None]
    if texts:
        lengths = np.fromiter(map(len, texts), dtype=float, count=len(texts))
        out[_I["text_length_mean"]] = float(lengths.mean())
        out[_I["text_length_cv"]] = float(lengths.std() / lengths.mean()) if lengths.mean() > 0 else 0.0
    out[_I["duplicate_text_share"]] = duplicate_share(
        [x for x, rt in zip(c.texts, c.retweet.tolist()) if x is not None and not rt]
    )
    langs = Counter(x for x in c.langs if x is not None)
    if langs:
        out[_I["distinct_languages"]] = float(len(langs))
        out[_I["language_entropy"]] = _entropy_bits(langs.values())


def _split_index(t: np.ndarray) -> int:
    """Where history ends: after the longest silence (if dormant), else the middle."""
    n = t.size
    k = max(3, n // 10)
    gaps = np.diff(t)
    # Gap i lies between posts i and i + 1; both sides must keep at least k posts.
    window = gaps[k - 1 : n - k]
    if window.size and window.max() >= DORMANT_SPLIT_DAYS * DAY:
        return int(np.argmax(window)) + k
    return n // 2


def _consistency(account: Account, c: _Columns, out: np.ndarray) -> None:
    t = c.t
    n = t.size
    if account.created_at is not None:
        out[_I["creation_to_first_post_days"]] = max(0.0, (t[0] - account.created_at) / DAY)
    if n < 6:
        return
    s = _split_index(t)
    out[_I["recent_share"]] = (n - s) / n
    old, new = slice(0, s), slice(s, n)

    def hist(values: Sequence[Any], part: slice) -> Counter:
        return Counter(v for v in values[part] if v is not None)

    out[_I["drift_language"]] = _js_divergence(hist(c.langs, old), hist(c.langs, new))
    out[_I["drift_source"]] = _js_divergence(hist(c.sources, old), hist(c.sources, new))
    hours = (np.floor(t / 3600.0) % 24).astype(np.intp)
    out[_I["drift_hour"]] = _js_arrays(np.bincount(hours[old], minlength=24), np.bincount(hours[new], minlength=24))
    # Post s - 1 is the history's last: its entries end where the recent ones begin.
    tag_cut, domain_cut = int(c.tag_ends[s - 1]), int(c.domain_ends[s - 1])
    out[_I["drift_hashtag"]] = _js_divergence(Counter(c.tags[:tag_cut]), Counter(c.tags[tag_cut:]))
    out[_I["drift_domain"]] = _js_divergence(
        _counts(c.domains[:domain_cut], skip_blank=True), _counts(c.domains[domain_cut:], skip_blank=True)
    )
    rt = c.retweet.astype(float)
    out[_I["drift_retweet_share"]] = abs(float(rt[new].mean()) - float(rt[old].mean()))
    old_rate = s / max((t[s - 1] - t[0]) / DAY, 1.0)
    new_rate = (n - s) / max((t[-1] - t[s]) / DAY, 1.0)
    out[_I["drift_rate"]] = abs(math.log10(new_rate / old_rate))


def extract_features(account: Account, posts: Sequence[Post], as_of: float) -> np.ndarray:
    """Computes the behavioural feature vector of one account.

    Args:
        account: Profile metadata.
        posts: Recent posts, in any order; 0 to any number. A :class:`~model.records.Timeline` is used
            as it is (the serving path builds one); other sequences of posts are turned into one.
        as_of: UTC epoch seconds of the snapshot (``observed_at``). Posts stamped later are treated
            as posted at ``as_of`` (clock skew), and account age is measured to it.

    Returns:
        A float64 vector aligned with :data:`FEATURE_NAMES`; every entry finite, ``MISSING`` where
        the input cannot support the feature.
    """
    out = np.full(N_FEATURES, MISSING, dtype=np.float64)
    _profile(account, as_of, out)
    if len(posts):
        columns = _columns(Timeline.from_posts(posts), as_of)
        _timing(columns.t, out)
        _clients(columns.sources, out)
        _content(columns, out)
        _consistency(account, columns, out)
    # Guard against any arithmetic corner that slipped through: the contract is finite values only.
    np.nan_to_num(out, copy=False, nan=MISSING, posinf=MISSING, neginf=MISSING)
    return out
