"""Profile features: age, counts and their growth, flags, names and what the account says of itself."""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

import numpy as np

from model import places
from model.features.stats import entropy_bits
from model.features.table import DAY, FEATURE_INDEX, MISSING
from model.features.timing import ZONE_BASE
from model.records import Account

_I = FEATURE_INDEX
# Posts needed before a posting clock can contradict a claimed place.
MIN_ZONE_POSTS = 3
# Self-declared automation: "bot" as a word or handle part, *_ebooks accounts, "automated"/"auto-posting".
_DECLARES_BOT = re.compile(r"(\bbot\b|bot_|_bot|ebooks|\bautomated\b|\bauto-?post)", re.IGNORECASE)

# Handles may end in "bot" without a separator (newsbot); names may not (Talbot).
_HANDLE_BOT = re.compile(r"bots?$", re.IGNORECASE)


def profile_features(account: Account, as_of: float, out: np.ndarray) -> None:
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
        out[_I["screen_name_entropy"]] = entropy_bits(Counter(handle.lower()).values())
        if account.name is not None:
            a = "".join(ch for ch in account.name.lower() if ch.isalnum())
            b = "".join(ch for ch in handle.lower() if ch.isalnum())
            out[_I["name_handle_similarity"]] = SequenceMatcher(None, a, b).ratio() if a and b else 0.0


def zone_features(account: Account, n_posts: int, as_of: float, out: np.ndarray) -> None:
    """Where the profile claims to be, and how far its posting clock is from there (``timing`` ran first)."""
    place = places.resolve(account.location)
    if place is None:
        return
    claimed = place.utc_offset_hours(as_of) + ZONE_BASE
    out[_I["claimed_zone"]] = claimed
    shift = out[_I["shift_zone"]]
    if n_posts >= MIN_ZONE_POSTS and shift != MISSING:
        apart = abs(shift - claimed) % 24
        out[_I["zone_contradiction_hours"]] = min(apart, 24 - apart)
