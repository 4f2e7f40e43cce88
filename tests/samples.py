"""The web page's bundled samples, built from the behavioural cases: ``python -m tests.samples``.

The committed files in ``api/static/samples`` are this module's output; ``tests/test_page.py`` keeps them equal.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests import behaviour

FOLDER = Path(__file__).resolve().parent.parent / "api" / "static" / "samples"


def mastodon_payload(native: dict[str, Any], instance: str = "mastodon.example") -> dict[str, Any]:
    """A native request as Mastodon's API gives it: an Account and its Statuses (HTML content, tags)."""
    account = native["account"]
    entity = {
        "id": "109" + str(int(hashlib.sha256(account["id"].encode()).hexdigest()[:10], 16)).zfill(13)[:13],
        "username": account["screen_name"],
        "acct": account["screen_name"],
        "display_name": account.get("name") or account["screen_name"],
        "note": f"<p>{html.escape(account.get('description') or '')}</p>",
        "url": f"https://{instance}/@{account['screen_name']}",
        "avatar": f"https://{instance}/system/accounts/avatars/1.png",
        "bot": False,
        "locked": False,
        "created_at": account["created_at"].replace("Z", ".000Z"),
        "followers_count": account.get("followers_count", 0),
        "following_count": account.get("friends_count", 0),
        "statuses_count": account.get("statuses_count", 0),
    }
    statuses = [
        {
            "id": str(110_000_000_000_000_000 + n),
            "created_at": post["created_at"].replace("Z", ".000Z"),
            "content": f"<p>{html.escape(post.get('text') or '')}</p>",
            "language": post.get("lang"),
            "account": {"id": entity["id"], "acct": entity["acct"]},
            "reblog": None,
            "in_reply_to_id": None,
            "tags": [{"name": tag} for tag in post.get("hashtags", [])],
            "mentions": [],
            "reblogs_count": 0,
            "favourites_count": 1,
            "replies_count": 0,
        }
        for n, post in enumerate(native["posts"])
    ]
    return {"account": entity, "statuses": statuses}


SAMPLES: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
    ("scheduler-bot", "Scheduler bot: one link template every 10 minutes", behaviour.scheduler_bot),
    ("office-hours-troll", "Persona in Texas posting in Beijing office hours", lambda: behaviour.office_hours_troll(8)),
    ("hijacked", "Old account: silence, then a new language, client and links", behaviour.hijacked_account),
    ("modern-user", "Ordinary 2023 user: phone clients, long texts, quotes", behaviour.modern_user),
]
# Platform payloads: (name, title, format, build).
PAYLOADS: list[tuple[str, str, str, Callable[[], dict[str, Any]]]] = [
    (
        "mastodon-account",
        "Mastodon account and its statuses, as the API gives them",
        "mastodon",
        lambda: mastodon_payload(behaviour.modern_user()),
    ),
]


def files() -> dict[str, str]:
    """File name -> text of every sample and of the index the page reads."""
    every = [(name, title, "native", build) for name, title, build in SAMPLES] + PAYLOADS
    out = {f"{name}.json": json.dumps(build(), indent=1) + "\n" for name, _, _, build in every}
    index = [{"name": name, "title": title, "format": fmt, "file": f"{name}.json"} for name, title, fmt, _ in every]
    out["index.json"] = json.dumps(index, indent=1) + "\n"
    return out


def main() -> int:
    """Writes the samples."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, text in files().items():
        (FOLDER / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
