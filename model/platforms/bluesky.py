"""Bluesky (AT Protocol): ``app.bsky.actor.getProfile`` and ``app.bsky.feed.getAuthorFeed``.

Payload: ``{"profile": <profileViewDetailed or {"profiles": [...]}>, "feed": [<feedViewPost>, ...] or
{"feed": [...]}, "observed_at": optional}``.

Field by field: profile ``did`` -> id, ``handle`` -> screen_name, ``displayName`` -> name,
``description``, ``createdAt``, ``followersCount``, ``followsCount`` -> friends_count,
``postsCount`` -> statuses_count; no ``avatar`` -> default profile image. Bluesky has no posting
client (so client features stay unavailable), likes-given or list counts, or verification flag.
Feed item: a repost (``reason`` of type ``reasonRepost``) is a retweet dated when it was reposted
(``reason.indexedAt``), since that is the account's activity; otherwise ``record.createdAt``.
``post.uri`` -> id, ``record.text``, first of ``record.langs`` -> lang, ``record.reply`` -> reply,
a record embed -> quote; facets: tags -> hashtags, mentions (DIDs) -> mentions, links -> urls;
repost/like/reply counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model.platforms._common import clean, items, native_request, obj, one_of, ref

# The platform its accounts are stored under.
PLATFORM = "bluesky"

_REPOST = "app.bsky.feed.defs#reasonRepost"
_QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")
_FACETS = {
    "app.bsky.richtext.facet#tag": ("hashtags", "tag"),
    "app.bsky.richtext.facet#mention": ("mentions", "did"),
    "app.bsky.richtext.facet#link": ("urls", "uri"),
}


KEYS = ("profile", "feed", "observed_at")
# Where each native field comes from, for error messages that name the payload's own fields.
ACCOUNT_PATHS = {
    "id": "did",
    "screen_name": "handle",
    "name": "displayName",
    "created_at": "createdAt",
    "followers_count": "followersCount",
    "friends_count": "followsCount",
    "statuses_count": "postsCount",
    "default_profile_image": "avatar",
}
POST_PATHS = {
    "id": "post.uri",
    "created_at": "post.record.createdAt",
    "text": "post.record.text",
    "lang": "post.record.langs",
    "is_retweet": "reason",
    "is_reply": "post.record.reply",
    "is_quote": "post.record.embed",
    "hashtags": "post.record.facets",
    "mentions": "post.record.facets",
    "urls": "post.record.facets",
    "retweet_count": "post.repostCount",
    "like_count": "post.likeCount",
    "reply_count": "post.replyCount",
    "retweet_of": "post.uri",
    "quote_of": "post.record.embed",
    "reply_to": "post.record.reply.parent",
}


def account_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the profile object."""
    profile = payload.get("profile")
    return (
        "profile.profiles" if isinstance(profile, Mapping) and isinstance(profile.get("profiles"), list) else "profile"
    )


def posts_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the feed list."""
    return "feed.feed" if isinstance(payload.get("feed"), Mapping) else "feed"


def _profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    return clean(
        {
            "id": profile.get("did"),
            "screen_name": profile.get("handle"),
            "name": profile.get("displayName"),
            "description": profile.get("description"),
            "created_at": profile.get("createdAt"),
            "followers_count": profile.get("followersCount"),
            "friends_count": profile.get("followsCount"),
            "statuses_count": profile.get("postsCount"),
            "default_profile_image": "avatar" not in profile,
        }
    )


def _uri_ref(uri: Any) -> dict[str, str] | None:
    """A reference to the post at an ``at://<did>/<collection>/<key>`` URI: its author is the URI's DID."""
    if not isinstance(uri, str):
        return None
    authority = uri.removeprefix("at://").split("/", 1)[0]
    return ref(uri, authority if authority.startswith("did:") else None)


def _quoted_uri(embed: Any) -> Any:
    if not isinstance(embed, Mapping) or embed.get("$type") not in _QUOTE_EMBEDS:
        return None
    inner = embed.get("record")
    if isinstance(inner, Mapping) and isinstance(inner.get("record"), Mapping):  # recordWithMedia
        inner = inner["record"]
    return inner.get("uri") if isinstance(inner, Mapping) else None


def _item(item: Mapping[str, Any], field: str) -> dict[str, Any]:
    post = obj(item.get("post"), f"{field}.post")
    record = obj(post.get("record"), f"{field}.post.record")
    reason = item.get("reason")
    repost = isinstance(reason, Mapping) and reason.get("$type") == _REPOST
    reposted_at = reason.get("indexedAt") if isinstance(reason, Mapping) else None
    entities: dict[str, list[str]] = {"hashtags": [], "mentions": [], "urls": []}
    for facet in record.get("facets") or []:
        for feature in (facet.get("features") or []) if isinstance(facet, Mapping) else []:
            kind = _FACETS.get(str(feature.get("$type"))) if isinstance(feature, Mapping) else None
            if kind and isinstance(feature.get(kind[1]), str):
                entities[kind[0]].append(feature[kind[1]])
    embed = record.get("embed")
    langs = record.get("langs")
    return clean(
        {
            "id": post.get("uri"),
            "created_at": reposted_at if repost else record.get("createdAt"),
            "text": record.get("text"),
            "lang": langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None,
            "is_retweet": repost,
            "is_reply": record.get("reply") is not None,
            "is_quote": isinstance(embed, Mapping) and embed.get("$type") in _QUOTE_EMBEDS,
            **entities,
            "retweet_count": post.get("repostCount"),
            "like_count": post.get("likeCount"),
            "reply_count": post.get("replyCount"),
            "retweet_of": _uri_ref(post.get("uri")) if repost else None,
            "quote_of": _uri_ref(_quoted_uri(embed)),
            "reply_to": _uri_ref((record.get("reply") or {}).get("parent", {}).get("uri"))
            if isinstance(record.get("reply"), Mapping)
            else None,
        }
    )


def to_native(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Maps ``{"profile", "feed"}`` to the native request."""
    feed = payload.get("feed")
    if isinstance(feed, Mapping):
        feed = feed.get("feed")  # the getAuthorFeed response itself
    feed = items(feed, posts_root(payload))
    profile = payload.get("profile")
    if isinstance(profile, Mapping) and isinstance(profile.get("profiles"), list):
        # A getProfiles response: the profile whose feed this is.
        authors = {
            str(item["post"]["author"].get("did"))
            for item in feed
            if isinstance(item, Mapping)
            and isinstance(item.get("post"), Mapping)
            and isinstance(item["post"].get("author"), Mapping)
        }
        profile = one_of(profile["profiles"], "profile.profiles", "did", authors)
    return native_request(
        _profile(obj(profile, account_root(payload))),
        PLATFORM,
        posts_root(payload),
        feed,
        _item,
        payload.get("observed_at"),
        author=_writer,
    )


def _writer(item: Mapping[str, Any]) -> tuple[str, Any] | None:
    """Who put the item in the feed: the reposter for a repost (``reason.by``), else the post's author."""
    reason = item.get("reason")
    if isinstance(reason, Mapping) and reason.get("$type") == _REPOST and isinstance(reason.get("by"), Mapping):
        return "reason.by.did", reason["by"].get("did")
    post = item.get("post")
    if isinstance(post, Mapping) and isinstance(post.get("author"), Mapping):
        return "post.author.did", post["author"].get("did")
    return None
