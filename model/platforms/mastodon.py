"""Mastodon: an Account and its Statuses (``GET /api/v1/accounts/:id/statuses``).

Payload: ``{"account": <Account>, "statuses": [<Status>, ...], "observed_at": optional}``.

Field by field: account ``id``, ``acct`` -> screen_name, ``display_name`` -> name, ``note`` (HTML)
-> description, ``created_at``, ``followers_count``, ``following_count`` -> friends_count,
``statuses_count``, ``locked`` -> protected; ``avatar`` ending in ``missing.png`` -> default profile
image. Mastodon has no likes-given count, list count, profile language or verification: absent.
Its self-declared ``bot`` flag -> declared_bot. Status ``id``, ``created_at``,
``content`` (HTML -> text), ``language`` -> lang, ``application.name`` -> source (servers show the
client only on the owner's own posts, else absent), ``reblog`` -> retweet (text, tags and mentions
of the boosted post), ``in_reply_to_id`` -> reply (reply_to: the id and ``in_reply_to_account_id``), ``quote`` -> quote
(quote_of), ``reblog`` -> retweet_of (its id and account ``acct``), ``tags`` -> hashtags,
``mentions`` (``acct``) -> mentions, ``card.url`` -> urls; reblogs/favourites/replies counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from model.errors import InvalidRecordError
from model.platforms._common import clean, items, native_request, obj, ref, strip_html, texts

# The platform its accounts are stored under.
PLATFORM = "mastodon"

_DEFAULT_AVATAR = "missing.png"


KEYS = ("account", "statuses", "observed_at")
# Where each native field comes from, for error messages that name the payload's own fields.
ACCOUNT_PATHS = {
    "screen_name": "acct",
    "name": "display_name",
    "description": "note",
    "friends_count": "following_count",
    "protected": "locked",
    "declared_bot": "bot",
    "default_profile_image": "avatar",
}
POST_PATHS = {
    "text": "content",
    "lang": "language",
    "source": "application.name",
    "is_retweet": "reblog",
    "is_reply": "in_reply_to_id",
    "is_quote": "quote",
    "hashtags": "tags",
    "urls": "card.url",
    "retweet_count": "reblogs_count",
    "like_count": "favourites_count",
    "reply_count": "replies_count",
    "retweet_of": "reblog",
    "quote_of": "quote",
    "reply_to": "in_reply_to_id",
}


def account_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the account object."""
    return "account"


def posts_root(payload: Mapping[str, Any]) -> str:
    """The payload path of the status list."""
    return "statuses"


def _handle(account: Mapping[str, Any]) -> str | None:
    """``acct`` with its instance: Mastodon leaves the domain off for the answering instance's own accounts.

    A handle without its instance is ambiguous (alice@mastodon.social and alice@fosstodon.org); the
    profile ``url`` names the instance. Features read the local part only.
    """
    acct = account.get("acct") or account.get("username")
    if not isinstance(acct, str) or "@" in acct:
        return acct
    url = account.get("url")
    host = urlsplit(url).hostname if isinstance(url, str) else None
    return f"{acct}@{host}" if host else acct


def _account(account: Mapping[str, Any]) -> dict[str, Any]:
    avatar = account.get("avatar")
    return clean(
        {
            "id": str(account["id"]) if account.get("id") is not None else None,
            "screen_name": _handle(account),
            "name": account.get("display_name"),
            "description": strip_html(account.get("note")),
            "created_at": account.get("created_at"),
            "followers_count": account.get("followers_count"),
            "friends_count": account.get("following_count"),
            "statuses_count": account.get("statuses_count"),
            "protected": account.get("locked"),
            "declared_bot": account.get("bot"),
            "default_profile_image": avatar.endswith(_DEFAULT_AVATAR) if isinstance(avatar, str) else None,
        }
    )


def _quoted(quote: Any) -> dict[str, str] | None:
    # Mastodon 4.4 wraps the quoted status in a Quote object; earlier forks put the status itself there.
    if not isinstance(quote, Mapping):
        return None
    inner = quote.get("quoted_status") if "quoted_status" in quote or "state" in quote else quote
    if not isinstance(inner, Mapping):
        return ref(quote.get("quoted_status_id"), None)
    account = inner.get("account")
    account = account if isinstance(account, Mapping) else {}
    return ref(inner.get("id"), account.get("acct"))


def _status(status: Mapping[str, Any]) -> dict[str, Any]:
    boosted = status.get("reblog")
    shown = boosted if isinstance(boosted, Mapping) else status
    application = status.get("application")
    card = shown.get("card")
    return clean(
        {
            "id": str(status["id"]) if status.get("id") is not None else None,
            "created_at": status.get("created_at"),
            "text": strip_html(shown.get("content")),
            "source": application.get("name") if isinstance(application, Mapping) else None,
            "lang": shown.get("language"),
            "is_retweet": isinstance(boosted, Mapping),
            "is_reply": status.get("in_reply_to_id") is not None,
            "is_quote": status.get("quote") is not None,
            "hashtags": texts(shown.get("tags"), "name"),
            "mentions": texts(shown.get("mentions"), "acct"),
            "urls": [card["url"]] if isinstance(card, Mapping) and isinstance(card.get("url"), str) else [],
            "retweet_count": status.get("reblogs_count"),
            "like_count": status.get("favourites_count"),
            "reply_count": status.get("replies_count"),
            "retweet_of": ref(boosted.get("id"), (boosted.get("account") or {}).get("acct"))
            if isinstance(boosted, Mapping)
            else None,
            "quote_of": _quoted(status.get("quote")),
            "reply_to": ref(status.get("in_reply_to_id"), status.get("in_reply_to_account_id")),
        }
    )


def to_native(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Maps ``{"account", "statuses"}`` to the native request."""
    account = obj(payload.get("account"), "account")
    statuses = items(payload.get("statuses"), "statuses")
    return native_request(
        _account(account),
        PLATFORM,
        "statuses",
        statuses,
        lambda post, _field: _status(post),
        payload.get("observed_at"),
        # The status's account: the booster, for a boost (the boosted one's is in reblog.account).
        author=lambda status: (
            ("account.id", status["account"].get("id")) if isinstance(status.get("account"), Mapping) else None
        ),
    )


# Admin webhook events (Administration > Webhooks) whose object names an account to score: a report
# (its target account and the statuses reported), or a new or changed account.
REPORT_EVENTS = ("report.created", "report.updated")
ACCOUNT_EVENTS = ("account.created", "account.approved", "account.updated")


@dataclass(frozen=True)
class WebhookEvent:
    """An admin webhook delivery read: the adapter payload to score (None: an event not about an account)."""

    event: str
    payload: dict[str, Any] | None = None
    report_id: str | None = None


def webhook_event(body: Any) -> WebhookEvent:
    """Reads an admin webhook delivery: ``{"event", "created_at", "object"}``.

    A report's object is an Admin::Report: its ``target_account`` (an Admin::Account, whose ``account``
    is the profile) and its ``statuses``; an account event's object is an Admin::Account. Only the
    profile and the statuses are read (never the e-mail or IP addresses an Admin::Account carries).

    Raises:
        InvalidRecordError: the delivery is not shaped as Mastodon sends it (the field is named).
    """
    delivery = obj(body, "$")
    event = delivery.get("event")
    if not isinstance(event, str):
        raise InvalidRecordError("must be a string naming the event", field="event")
    if event not in REPORT_EVENTS + ACCOUNT_EVENTS:
        return WebhookEvent(event)
    thing = obj(delivery.get("object"), "object")
    if event in REPORT_EVENTS:
        target = obj(thing.get("target_account"), "object.target_account")
        account = obj(target.get("account"), "object.target_account.account")
        statuses = items(thing.get("statuses"), "object.statuses")
        report = thing.get("id")
        payload = {"account": account, "statuses": statuses, "observed_at": delivery.get("created_at")}
        return WebhookEvent(event, payload, str(report) if report is not None else None)
    account = obj(thing.get("account"), "object.account")
    return WebhookEvent(event, {"account": account, "statuses": [], "observed_at": delivery.get("created_at")})
