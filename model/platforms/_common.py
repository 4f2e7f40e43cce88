"""Small helpers shared by the platform adapters."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from model.errors import InvalidRecordError

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>\s*<p>", re.IGNORECASE)


def obj(value: Any, field: str) -> Mapping[str, Any]:
    """The value if it is a JSON object, else a field error."""
    if not isinstance(value, Mapping):
        raise InvalidRecordError("must be a JSON object", field=field)
    return value


def items(value: Any, field: str) -> list[Any]:
    """The value if it is a JSON array (None = empty), else a field error."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRecordError("must be a JSON array", field=field)
    return value


def strip_html(text: Any) -> str | None:
    """Plain text of an HTML fragment (Mastodon content, Twitter source links)."""
    if not isinstance(text, str):
        return None
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", text))).strip()


def twitter_time(value: Any) -> str | None:
    """Twitter v1.1 ``Wed Oct 10 20:19:24 +0000 2018`` (or RFC 3339 passed through) as RFC 3339."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return value


def clean(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Drops keys whose value is None (absent, not null, in the native request)."""
    return {k: v for k, v in mapping.items() if v is not None}


def texts(values: Any, key: str) -> list[str]:
    """``[v[key] for v in values]`` for the entries that are objects with a string there."""
    out = []
    for value in values or []:
        if isinstance(value, Mapping) and isinstance(value.get(key), str):
            out.append(value[key])
    return out


# Where a post of a payload names the account that wrote (or reposted) it: (its path, its id there), or
# None where the payload does not say.
Author = Callable[[Mapping[str, Any]], tuple[str, Any] | None]


def native_request(
    account: Mapping[str, Any],
    platform: str,
    field: str,
    posts: list[Any],
    convert: Callable[[Mapping[str, Any], str], dict[str, Any]],
    observed_at: Any,
    author: Author | None = None,
) -> dict[str, Any]:
    """Assembles the native request: the account, each post converted (errors name ``field.<i>``).

    Raises:
        InvalidRecordError: a post names another account as its writer (``author``): a payload must hold
            one account's own posts (reposts and quotes keep their original's author in their reference),
            else its score would be stored under an account that did not write them.
    """
    converted = []
    for i, post in enumerate(posts):
        where = f"{field}.{i}"
        item = obj(post, where)
        if author is not None:
            check_author(item, where, account, author)
        converted.append(convert(item, where))
    return clean({"account": {**account, "platform": platform}, "posts": converted, "observed_at": observed_at})


def check_author(post: Mapping[str, Any], where: str, account: Mapping[str, Any], author: Author) -> None:
    """Refuses a post whose payload names a writer other than the account.

    Raises:
        InvalidRecordError: naming the post's author field in the payload's own terms.
    """
    said = author(post)
    if said is None:
        return
    path, writer = said
    if writer in (None, "") or str(writer) == str(account.get("id")):
        return
    raise InvalidRecordError(
        f"written by {writer}, not by the account {account.get('id')}: a payload must hold the account's own "
        "posts (score another account's posts in a request of its own)",
        field=f"{where}.{path}",
    )


def ref(post_id: Any, author: Any) -> dict[str, str] | None:
    """A native reference to another post from whatever of its id and author the payload gives (else None)."""
    out = {key: str(value) for key, value in (("id", post_id), ("author", author)) if value not in (None, "")}
    return out or None


def one_of(users: list[Any], field: str, key: str, authors: set[str]) -> Any:
    """The one account of a lookup response: the only one, or the one the posts were written by.

    Raises:
        InvalidRecordError: several accounts and the posts do not tell which (or tell several).
    """
    if len(users) == 1:
        return users[0]
    matching = [u for u in users if isinstance(u, Mapping) and str(u.get(key)) in authors]
    if len(matching) == 1:
        return matching[0]
    ids = ", ".join(str(u.get(key)) for u in users if isinstance(u, Mapping))
    raise InvalidRecordError(
        f"holds {len(users)} accounts ({ids}) and the posts do not say whose they are; "
        "send one account per request, or score several with /v1/score/batch",
        field=field,
    )
