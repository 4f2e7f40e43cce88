"""The feature table, declared once: every feature's name, group, label, unit and the field it needs.

Every feature is a finite float. ``MISSING`` (-1.0) marks a feature that the input cannot support
(no posts, no client names, no creation date, ...); every real value is >= 0, so the two never meet.
Reasons (``model.scoring.reasons``), the model card and the heads' exclusions read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

MISSING = -1.0

DAY = 86400.0


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
        "office_share_best",
        "clock",
        "posts in office hours of the best-fitting time zone",
        "share",
        "Largest share of posts in office hours (09:00-18:00 local on working days) over time zones "
        "UTC-12:00..UTC+14:00 in quarter hours and three working weeks: the inferred operator clock.",
        needs="posts",
    ),
    FeatureSpec(
        "weekend_share",
        "clock",
        "posts at weekends",
        "share",
        "Share of posts on the rest days of the best-fitting working week and time zone.",
        needs="posts",
    ),
    FeatureSpec(
        "night_share",
        "clock",
        "posts at night in the best-fitting office time zone",
        "share",
        "Share of posts 00:00-06:00 local in the best-fitting office time zone (people on shifts sleep).",
        needs="posts",
    ),
    FeatureSpec(
        "shift_zone",
        "clock",
        "time zone whose office hours fit the posts",
        "zone",
        "UTC offset of the best-fitting office time zone plus 12 hours (0 = UTC-12, 26 = UTC+14), so that "
        "every value is positive; informs reasons, no head reads it.",
        needs="posts",
    ),
    FeatureSpec(
        "shift_workweek",
        "clock",
        "working week that fits the posts",
        "workweek",
        "Working week of the best-fitting office hours: 0 Monday-Friday, 1 Sunday-Thursday, 2 Saturday-Wednesday; "
        "informs reasons, no head reads it.",
        needs="posts",
    ),
    FeatureSpec(
        "claimed_zone",
        "clock",
        "time zone of the place the profile claims",
        "zone",
        "UTC offset of the profile's location, resolved offline (model.places), plus 12 hours; no head reads it.",
        needs="account.location",
    ),
    FeatureSpec(
        "zone_contradiction_hours",
        "clock",
        "hours between the posting clock and the claimed place",
        "hours",
        "Hours (0-12, around the clock) between the best-fitting office time zone and the profile location's "
        "zone; needs 3 posts and a location that names a place.",
        needs="account.location",
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
    FeatureSpec(
        "top_sources_retweet_share",
        "content",
        "reposts of the three most reposted accounts",
        "share",
        "Share of reposts (whose original author is known) that repost one of the account's three most "
        "reposted accounts; needs 5 such reposts (amplifiers repost a few sources).",
        needs="posts",
    ),
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
