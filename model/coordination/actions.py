"""Shared actions: what each post does that another account's post could do too (the same original,
hashtag, link or text), as one table of (account, action, time) for the whole batch."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np

from model.features import link_domain, normalised_texts
from model.records import Timeline

# Near-duplicate texts need some substance: "good morning" from two accounts in a minute is no campaign.
MIN_TEXT_WORDS = 4
SNIPPET_LENGTH = 80
_TRACKING = re.compile(r"^(utm_|fbclid$|gclid$|ref_src$|s$|t$)")


class Behaviour(IntEnum):
    """Kinds of shared action, in the order the response names them."""

    co_retweet = 0
    co_quote = 1
    co_reply = 2
    co_hashtag = 3
    co_link = 4
    near_duplicate_text = 5


BEHAVIOURS = tuple(b.name for b in Behaviour)


def retweet_identity(text: str) -> str:
    """The original of a repost known only by its text: the text with case and spacing folded.

    Reposts carry the original's text (links included), so equal folded texts name the same
    original, as a platform id would.
    """
    return " ".join(text.lower().split())


def link_key(url: str) -> str:
    """A link without scheme, ``www.``, fragment and tracking parameters; empty if it cannot be read."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:  # a malformed host such as http://[x
        return ""
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not _TRACKING.match(k)])
    return f"{host}{parts.path.rstrip('/')}" + (f"?{query}" if query else "")


def actions_of(timeline: Timeline) -> Iterator[tuple[Behaviour, str, str, float]]:
    """One account's shared actions: (behaviour, identity, label shown in evidence, time).

    The one definition the single-machine collector and Spark both use.
    """
    originals: list[tuple[float, str]] = []
    for i in range(len(timeline.created_at)):
        t = float(timeline.created_at[i])
        text = timeline.text[i]
        if timeline.is_retweet[i]:
            # A repost's hashtags, links and text are the original's: only the repost itself is an action.
            ref = timeline.retweet_of[i]
            if ref is not None and ref.id:
                yield Behaviour.co_retweet, ref.id, f"post {ref.id}", t
            elif text:
                yield Behaviour.co_retweet, retweet_identity(text), text[:SNIPPET_LENGTH], t
            elif ref is not None and ref.author:
                yield Behaviour.co_retweet, "@" + ref.author, f"posts of @{ref.author}", t
            continue
        quote = timeline.quote_of[i]
        if quote is not None and quote.id:
            yield Behaviour.co_quote, quote.id, f"post {quote.id}", t
        reply = timeline.reply_to[i]
        if reply is not None and reply.id:
            yield Behaviour.co_reply, reply.id, f"post {reply.id}", t
        for tag in sorted({h.lower().lstrip("#") for h in timeline.hashtags[i]}):
            if tag:
                yield Behaviour.co_hashtag, tag, "#" + tag, t
        for url in sorted(set(timeline.urls[i])):
            key, domain = link_key(url), link_domain(url)
            # A link wrapper without its path (https://t.co/) names no destination.
            if key and (domain or "/" in key):
                yield Behaviour.co_link, key, domain or key, t
        if text:
            originals.append((t, text))
    for (t, text), folded in zip(originals, normalised_texts([text for _, text in originals])):
        if len(folded.split()) >= MIN_TEXT_WORDS:
            yield Behaviour.near_duplicate_text, folded, text[:SNIPPET_LENGTH], t


@dataclass(frozen=True, slots=True)
class ActionTable:
    """Every shared action of a batch: one row per (account, action, time).

    ``key`` indexes ``labels`` (what was shared, as shown in evidence) and ``behaviour`` (per key).
    """

    account: np.ndarray
    key: np.ndarray
    t: np.ndarray
    labels: list[str]
    behaviour: np.ndarray
    n_accounts: int


class ActionCollector:
    """Builds an :class:`ActionTable` one account at a time, keeping only compact columns (streams)."""

    def __init__(self) -> None:
        self._index: dict[tuple[int, str], int] = {}
        self._labels: list[str] = []
        self._behaviour = array("b")
        self._account = array("i")
        self._key = array("q")
        self._t = array("d")
        self.n_accounts = 0

    def _add(self, account: int, behaviour: Behaviour, identity: str, label: str, t: float) -> None:
        key = self._index.get((behaviour, identity))
        if key is None:
            key = self._index[(behaviour, identity)] = len(self._labels)
            self._labels.append(label)
            self._behaviour.append(int(behaviour))
        self._account.append(account)
        self._key.append(key)
        self._t.append(t)

    def add(self, timeline: Timeline) -> int:
        """Adds one account's actions; returns its index in the table."""
        account = self.n_accounts
        self.n_accounts += 1
        for behaviour, identity, label, t in actions_of(timeline):
            self._add(account, behaviour, identity, label, t)
        return account

    def table(self) -> ActionTable:
        """The collected actions as arrays."""
        return ActionTable(
            account=np.frombuffer(self._account, dtype=np.int32).copy(),
            key=np.frombuffer(self._key, dtype=np.int64).copy(),
            t=np.frombuffer(self._t, dtype=np.float64).copy(),
            labels=list(self._labels),
            behaviour=np.frombuffer(self._behaviour, dtype=np.int8).copy(),
            n_accounts=self.n_accounts,
        )
