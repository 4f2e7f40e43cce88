"""Shared actions: what each post does that another account's post could do too (the same original,
hashtag, link or text), as one table of (account, action, time) for the whole batch."""

from __future__ import annotations

import math
import mmap
import re
import tempfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import numpy as np

from model.features.text import link_domain, normalised_texts
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
    # Posting in the same minutes beyond chance: evidence of a group found by the actions above, never
    # an action itself (every post of every account would be one; see model.coordination.network).
    synchronised_activity = 6


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


def combined(major: np.ndarray, minor: np.ndarray, size: int) -> np.ndarray:
    """One int64 per (major, minor) pair, minor < size: unique() on it is a plain sort, not a row sort."""
    if major.size and int(major.max()) >= (2**62) // max(size, 1):
        raise OverflowError("too many accounts and actions to combine into one 64-bit key")
    return major.astype(np.int64) * size + minor.astype(np.int64)


def accounts_per_key(key: np.ndarray, account: np.ndarray, n_accounts: int, n_keys: int) -> np.ndarray:
    """How many distinct accounts did each action (``key`` numbers the actions from 0 to ``n_keys`` - 1)."""
    pairs = np.unique(combined(key, account, n_accounts))
    return np.bincount(pairs // max(n_accounts, 1), minlength=n_keys)


@dataclass(frozen=True, slots=True)
class ActionTable:
    """The shared actions of a batch that more than one account did: one row per (account, action, time).

    ``key`` indexes ``labels`` (what was shared, as shown in evidence) and ``behaviour`` (per key).
    ``first_at`` and ``last_at`` are each account's first and last action of any kind (its active span).
    ``active_account``, ``active_minute`` and ``active_posts`` list the minutes (epoch minutes) in which
    each account posted anything and how many posts it made in each, one row per account and minute:
    the synchronised-activity evidence reads them.
    """

    account: np.ndarray
    key: np.ndarray
    t: np.ndarray
    labels: list[str]
    behaviour: np.ndarray
    n_accounts: int
    first_at: np.ndarray
    last_at: np.ndarray
    active_account: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    active_minute: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    active_posts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))


def active_minutes(timeline: Timeline) -> tuple[np.ndarray, np.ndarray]:
    """The distinct epoch minutes in which the timeline's posts were made (ascending), and how many in each."""
    minutes = np.floor(np.asarray(timeline.created_at, dtype=np.float64) / 60.0).astype(np.int64)
    distinct, posts = np.unique(minutes, return_counts=True)
    return distinct, posts.astype(np.int32)


class ActionCollector:
    """Builds an :class:`ActionTable` one account at a time, keeping only compact columns (streams).

    Each action is held as a 64-bit hash of (behaviour, identity), its account, time and behaviour
    (29 bytes), and its label goes to a temporary file: a dictionary of every distinct identity
    took 4.8 GB at 100,000 accounts of 200 posts. ``table()`` keeps the actions that two or more
    accounts did (only those can be shared) and reads back their labels. Python's string hash is
    64-bit SipHash, stable within the process that collects and groups; two identities colliding
    among 15 million has a probability of about 6 in a million.
    """

    def __init__(self) -> None:
        self._hash = array("q")
        self._behaviour = array("b")
        self._account = array("i")
        self._t = array("d")
        self._label_end = array("q")
        self._first = array("d")
        self._last = array("d")
        # Posting minutes, 16 bytes per account and minute (about 320 MB at 100,000 accounts of 200 posts).
        self._active_account = array("i")
        self._active_minute = array("q")
        self._active_posts = array("i")
        self._labels = tempfile.TemporaryFile()
        self._written = 0
        self.n_accounts = 0

    def add(self, timeline: Timeline) -> int:
        """Adds one account's actions; returns its index in the table."""
        account = self.n_accounts
        self.n_accounts += 1
        labels: list[bytes] = []
        first, last = math.inf, -math.inf
        for behaviour, identity, label, t in actions_of(timeline):
            self._hash.append(hash((int(behaviour), identity)))
            self._behaviour.append(int(behaviour))
            self._account.append(account)
            self._t.append(t)
            encoded = label.encode("utf-8", "surrogatepass")
            labels.append(encoded)
            self._written += len(encoded)
            self._label_end.append(self._written)
            first, last = min(first, t), max(last, t)
        if labels:
            self._labels.write(b"".join(labels))
        self._first.append(first)
        self._last.append(last)
        minutes, posts = active_minutes(timeline)
        self._active_minute.frombytes(minutes.tobytes())
        self._active_posts.frombytes(posts.tobytes())
        self._active_account.frombytes(np.full(minutes.size, account, dtype=np.int32).tobytes())
        return account

    def table(self) -> ActionTable:
        """The actions two or more accounts did, as arrays (the labels of those only)."""
        hashes = np.frombuffer(self._hash, dtype=np.int64)
        account = np.frombuffer(self._account, dtype=np.int32)
        first_at = np.frombuffer(self._first, dtype=np.float64).copy()
        last_at = np.frombuffer(self._last, dtype=np.float64).copy()
        # Views, not copies (the largest columns): the collector takes no accounts once its table is built.
        active_account = np.frombuffer(self._active_account, dtype=np.int32)
        active_minute = np.frombuffer(self._active_minute, dtype=np.int64)
        active_posts = np.frombuffer(self._active_posts, dtype=np.int32)
        # What every account has, whether or not any of its actions was shared.
        per_account: dict[str, Any] = {
            "n_accounts": self.n_accounts,
            "first_at": first_at,
            "last_at": last_at,
            "active_account": active_account,
            "active_minute": active_minute,
            "active_posts": active_posts,
        }
        if hashes.size == 0:
            return ActionTable(
                account=np.empty(0, np.int32),
                key=np.empty(0, np.int64),
                t=np.empty(0, np.float64),
                labels=[],
                behaviour=np.empty(0, np.int8),
                **per_account,
            )
        distinct, first_row, key = np.unique(hashes, return_index=True, return_inverse=True)
        shared = accounts_per_key(key, account, self.n_accounts, distinct.size) >= 2
        del distinct
        renumber = np.cumsum(shared) - 1
        kept = shared[key]
        rows = first_row[shared]
        ends = np.frombuffer(self._label_end, dtype=np.int64)
        starts = np.concatenate(([0], ends[:-1]))
        self._labels.flush()
        self._labels.seek(0)
        with mmap.mmap(self._labels.fileno(), 0, access=mmap.ACCESS_READ) if self._written else _Empty() as store:
            labels = [store[starts[r] : ends[r]].decode("utf-8", "surrogatepass") for r in rows.tolist()]
        return ActionTable(
            account=account[kept].copy(),
            key=renumber[key[kept]].astype(np.int64),
            t=np.frombuffer(self._t, dtype=np.float64)[kept].copy(),
            labels=labels,
            behaviour=np.frombuffer(self._behaviour, dtype=np.int8)[rows].copy(),
            **per_account,
        )


class _Empty:
    """Stands in for the label store when no label was written (mmap refuses an empty file)."""

    def __enter__(self) -> bytes:
        return b""

    def __exit__(self, *exc: object) -> None:
        return None
