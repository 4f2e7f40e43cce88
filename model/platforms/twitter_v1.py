"""Twitter API v1.1: a user object and its timeline statuses.

Payload: ``{"user": <user object>, "statuses": [<status>, ...], "observed_at": optional}``
(``statuses`` is what ``statuses/user_timeline`` returns; a status whose embedded ``user`` is another
account is refused: a payload holds one account's own statuses).

Field by field: user ``id_str`` (else ``id``) -> id; ``screen_name``, ``name``, ``description``,
``location``, ``lang``, counts, ``verified``, ``protected``, ``default_profile(_image)`` as is;
``url`` -> its expanded form from ``entities.url`` when present; ``created_at`` (Twitter format) ->
RFC 3339. Status ``id_str``, ``full_text`` (else ``text``), ``source`` (HTML link -> its text),
``lang``; ``retweeted_status`` present -> retweet; ``in_reply_to_status_id`` -> reply;
``is_quote_status`` -> quote; ``entities`` hashtags, mentions (screen names) and expanded urls;
``retweet_count``, ``favorite_count`` -> like_count. v1.1 has no reply count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.platforms._common import clean, items, native_request, obj, ref, strip_html, texts, twitter_time

# The platform its accounts are stored under.
PLATFORM = "twitter"

KEYS = ("user", "statuses", "observed_at")
# Where each native field comes from, for error messages that name the payload's own fields.
ACCOUNT_PATHS = {"id": "id_str"}
POST_PATHS = {
    "id": "id_str",
    "text": "full_text",
    "is_retweet": "retweeted_status",
    "is_reply": "in_reply_to_status_id",
    "is_quote": "is_quote_status",
    "hashtags": "entities.hashtags",
    "mentions": "entities.user_mentions",
    "urls": "entities.urls",
    "like_count": "favorite_count",
    "retweet_of": "retweeted_status",
    "quote_of": "quoted_status",
    "reply_to": "in_reply_to_status_id_str",
}


def account_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the user object."""
    return "user"


def posts_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the status list."""
    return "statuses"


def _user(user: Mapping[str, Any]) -> dict[str, Any]:
    url = user.get("url")
    expanded = texts(((user.get("entities") or {}).get("url") or {}).get("urls"), "expanded_url")
    return clean(
        {
            "id": user.get("id_str") or (str(user["id"]) if user.get("id") is not None else None),
            "screen_name": user.get("screen_name"),
            "name": user.get("name"),
            "description": user.get("description"),
            "location": user.get("location"),
            "url": expanded[0] if expanded else url,
            "lang": user.get("lang"),
            "created_at": twitter_time(user.get("created_at")),
            "followers_count": user.get("followers_count"),
            "friends_count": user.get("friends_count"),
            "statuses_count": user.get("statuses_count"),
            "favourites_count": user.get("favourites_count"),
            "listed_count": user.get("listed_count"),
            "verified": user.get("verified"),
            "protected": user.get("protected"),
            "default_profile": user.get("default_profile"),
            "default_profile_image": user.get("default_profile_image"),
        }
    )


def _post_ref(status: Any) -> dict[str, str] | None:
    if not isinstance(status, Mapping):
        return None
    user = status.get("user")
    user = user if isinstance(user, Mapping) else {}
    return ref(status.get("id_str") or status.get("id"), user.get("screen_name") or user.get("id_str"))


def _status(status: Mapping[str, Any]) -> dict[str, Any]:
    entities = status.get("entities") or {}
    quoted = _post_ref(status.get("quoted_status")) or ref(status.get("quoted_status_id_str"), None)
    return clean(
        {
            "id": status.get("id_str") or (str(status["id"]) if status.get("id") is not None else None),
            "created_at": twitter_time(status.get("created_at")),
            "text": status.get("full_text") or status.get("text"),
            "source": strip_html(status.get("source")),
            "lang": status.get("lang"),
            "is_retweet": status.get("retweeted_status") is not None,
            "is_reply": status.get("in_reply_to_status_id") is not None,
            "is_quote": bool(status.get("is_quote_status")),
            "retweet_of": _post_ref(status.get("retweeted_status")),
            "quote_of": quoted,
            "reply_to": ref(
                status.get("in_reply_to_status_id_str") or status.get("in_reply_to_status_id"),
                status.get("in_reply_to_screen_name"),
            ),
            "hashtags": texts(entities.get("hashtags"), "text"),
            "mentions": texts(entities.get("user_mentions"), "screen_name"),
            "urls": texts(entities.get("urls"), "expanded_url"),
            "retweet_count": status.get("retweet_count"),
            "like_count": status.get("favorite_count"),
        }
    )


def _writer(status: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The status's own ``user`` (the retweeter, for a retweet), where it carries one."""
    user = status.get("user")
    if not isinstance(user, Mapping):
        return None
    return "user.id_str", user.get("id_str") or (str(user["id"]) if user.get("id") is not None else None)


def to_native(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Maps ``{"user", "statuses"}`` to the native request."""
    user = obj(payload.get("user"), "user")
    statuses = items(payload.get("statuses"), "statuses")
    return native_request(
        _user(user),
        PLATFORM,
        "statuses",
        statuses,
        lambda post, _field: _status(post),
        payload.get("observed_at"),
        author=_writer,
    )
