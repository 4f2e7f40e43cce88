"""Twitter API v2: a user (with ``user.fields``) and its tweets (with ``tweet.fields``).

Payload: ``{"user": <user or {"data": user}>, "tweets": [<tweet>, ...] or {"data": [...], "includes": ...},
"observed_at": optional}``. ``user`` may be left out when ``tweets`` is a ``users/:id/tweets`` response
whose ``includes.users`` holds its author (``expansions=author_id``): the author of its tweets is the
account. A tweet whose ``author_id`` is another account is refused.

Field by field: user ``id``, ``username`` -> screen_name, ``name``, ``description``, ``location``,
``url`` (expanded from ``entities.url`` when present), ``created_at``, ``verified``, ``protected``;
``public_metrics`` followers/following/tweet/listed counts. v2 has no likes-given count, profile
flags or profile language: those stay absent. Tweet ``id``, ``text``, ``created_at``, ``source``
(returned only until 2022), ``lang``; ``referenced_tweets`` types retweeted / replied_to / quoted
set the flags; ``entities`` hashtags (``tag``), mentions (``username``), urls (``expanded_url``);
``public_metrics`` retweet/like/reply counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.platforms._common import clean, items, native_request, obj, one_of, ref, texts

# The platform its accounts are stored under.
PLATFORM = "twitter"


def _unwrap(value: Any) -> Any:
    # API responses wrap objects in {"data": ...}; accept both the response and the bare object.
    if isinstance(value, Mapping) and "data" in value and not ("id" in value and "text" in value):
        return value["data"]
    return value


KEYS = ("user", "tweets", "observed_at")
# Where each native field comes from, for error messages that name the payload's own fields.
ACCOUNT_PATHS = {
    "id": "id",
    "screen_name": "username",
    "followers_count": "public_metrics.followers_count",
    "friends_count": "public_metrics.following_count",
    "statuses_count": "public_metrics.tweet_count",
    "listed_count": "public_metrics.listed_count",
}
POST_PATHS = {
    "retweet_count": "public_metrics.retweet_count",
    "like_count": "public_metrics.like_count",
    "reply_count": "public_metrics.reply_count",
    "hashtags": "entities.hashtags",
    "mentions": "entities.mentions",
    "urls": "entities.urls",
    "is_retweet": "referenced_tweets",
    "is_reply": "referenced_tweets",
    "is_quote": "referenced_tweets",
    "retweet_of": "referenced_tweets",
    "quote_of": "referenced_tweets",
    "reply_to": "referenced_tweets",
}


def account_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the user object (``tweets.includes.users`` when the timeline carries its author)."""
    if "user" not in payload and isinstance(payload.get("tweets"), Mapping):
        return "tweets.includes.users"
    user = payload.get("user")
    return "user.data" if isinstance(user, Mapping) and "data" in user and "id" not in user else "user"


def _included_author(response: Any, tweets: list[Any]) -> Any:
    """The author of a timeline response's tweets, from its ``includes.users``, or None."""
    includes = response.get("includes") if isinstance(response, Mapping) else None
    users = includes.get("users") if isinstance(includes, Mapping) else None
    if not isinstance(users, list):
        return None
    writers = {str(t.get("author_id")) for t in tweets if isinstance(t, Mapping) and t.get("author_id")}
    return one_of(users, "tweets.includes.users", "id", writers)


def posts_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the tweet list."""
    return "tweets.data" if isinstance(payload.get("tweets"), Mapping) else "tweets"


def _user(user: Mapping[str, Any]) -> dict[str, Any]:
    metrics = user.get("public_metrics") or {}
    expanded = texts(((user.get("entities") or {}).get("url") or {}).get("urls"), "expanded_url")
    return clean(
        {
            "id": user.get("id"),
            "screen_name": user.get("username"),
            "name": user.get("name"),
            "description": user.get("description"),
            "location": user.get("location"),
            "url": expanded[0] if expanded else user.get("url"),
            "created_at": user.get("created_at"),
            "followers_count": metrics.get("followers_count"),
            "friends_count": metrics.get("following_count"),
            "statuses_count": metrics.get("tweet_count"),
            "listed_count": metrics.get("listed_count"),
            "verified": user.get("verified"),
            "protected": user.get("protected"),
        }
    )


_REFERENCE_KINDS = {"retweeted": "retweet_of", "quoted": "quote_of", "replied_to": "reply_to"}


def _authors(response: Any) -> dict[str, str]:
    """Author of each tweet the response includes (``includes.tweets``), by username where ``includes.users`` has it."""
    includes = response.get("includes") if isinstance(response, Mapping) else None
    if not isinstance(includes, Mapping):
        return {}
    names = {str(u.get("id")): u.get("username") for u in includes.get("users") or [] if isinstance(u, Mapping)}
    return {
        str(t.get("id")): names.get(str(t.get("author_id"))) or str(t.get("author_id"))
        for t in includes.get("tweets") or []
        if isinstance(t, Mapping) and t.get("author_id") is not None
    }


def _tweet(tweet: Mapping[str, Any], authors: Mapping[str, str]) -> dict[str, Any]:
    kinds = set(texts(tweet.get("referenced_tweets"), "type"))
    references = {
        _REFERENCE_KINDS[r["type"]]: ref(r.get("id"), authors.get(str(r.get("id"))))
        for r in tweet.get("referenced_tweets") or []
        if isinstance(r, Mapping) and r.get("type") in _REFERENCE_KINDS
    }
    entities = tweet.get("entities") or {}
    metrics = tweet.get("public_metrics") or {}
    return clean(
        {
            "id": tweet.get("id"),
            "created_at": tweet.get("created_at"),
            "text": tweet.get("text"),
            "source": tweet.get("source"),
            "lang": tweet.get("lang"),
            "is_retweet": "retweeted" in kinds,
            "is_reply": "replied_to" in kinds,
            "is_quote": "quoted" in kinds,
            "hashtags": texts(entities.get("hashtags"), "tag"),
            "mentions": texts(entities.get("mentions"), "username"),
            "urls": texts(entities.get("urls"), "expanded_url"),
            "retweet_count": metrics.get("retweet_count"),
            "like_count": metrics.get("like_count"),
            "reply_count": metrics.get("reply_count"),
            **references,
        }
    )


def to_native(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Maps ``{"user", "tweets"}`` to the native request."""
    tweets = items(_unwrap(payload.get("tweets")), posts_root(payload))
    user = _unwrap(payload.get("user")) if "user" in payload else _included_author(payload.get("tweets"), tweets)
    if isinstance(user, list):
        # A users/by response for several usernames: the user whose tweets these are.
        writers = {str(t.get("author_id")) for t in tweets if isinstance(t, Mapping) and t.get("author_id")}
        user = one_of(user, "user.data", "id", writers)
    user = obj(user, account_root(payload))
    authors = _authors(payload.get("tweets"))
    return native_request(
        _user(user),
        PLATFORM,
        posts_root(payload),
        tweets,
        lambda post, _field: _tweet(post, authors),
        payload.get("observed_at"),
        author=lambda tweet: ("author_id", tweet.get("author_id")) if "author_id" in tweet else None,
    )
