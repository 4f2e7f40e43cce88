"""A timeline's columns in time order, normalised once for every feature family."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from model import clients
from model.features.text import folded_tags, link_domain
from model.records import Timeline

# A repost known only by its text names its original's author: "RT @handle: ...".
_RT_AUTHOR = re.compile(r"^RT @(\w{1,50})")


def retweet_sources(tl: Timeline) -> list[str]:
    """The original authors of the timeline's reposts, where known: the reference's author, else the text's."""
    out = []
    for index in np.flatnonzero(tl.is_retweet).tolist():
        ref = tl.retweet_of[index]
        author = ref.author if ref is not None and ref.author else None
        if author is None and (text := tl.text[index]):
            match = _RT_AUTHOR.match(text)
            author = match.group(1) if match else None
        if author:
            out.append(author.lstrip("@").casefold())
    return out


def post_order(tl: Timeline) -> list[int]:
    """Positions of the posts sorted by time, ties broken on every field so that input order never matters."""
    order = np.argsort(tl.created_at, kind="stable")
    t = tl.created_at[order]
    if t.size < 2 or bool((t[1:] > t[:-1]).all()):
        return order.tolist()
    keys = [
        (
            float(tl.created_at[i]),
            tl.id[i] or "",
            tl.text[i] or "",
            tl.source[i] or "",
            tl.lang[i] or "",
            bool(tl.is_retweet[i]),
            bool(tl.is_reply[i]),
            bool(tl.is_quote[i]),
            tuple(tl.hashtags[i]),
            tuple(tl.mentions[i]),
            tuple(tl.urls[i]),
        )
        for i in range(t.size)
    ]
    return sorted(range(t.size), key=keys.__getitem__)


@dataclass(frozen=True, slots=True)
class Columns:
    """The timeline's columns in time order, normalised once for all feature groups.

    Hashtags and link domains are flat lists over all posts (most posts carry none, and the features
    count them over whole halves of the timeline); ``*_ends[i]`` is where post i's entries end.
    """

    t: np.ndarray
    texts: list[str | None]
    sources: list[str | None]
    langs: list[str | None]
    retweet: np.ndarray
    reply: np.ndarray
    quote: np.ndarray
    tags: list[str]
    tag_ends: np.ndarray
    domains: list[str]
    domain_ends: np.ndarray
    # The original author of each repost whose author is known (any order: only counted).
    retweet_sources: list[str]
    n_mentions: int


def _reordered(values: list[Any], order: list[int], kind: str) -> list[Any]:
    if kind == "ascending":
        return values
    if kind == "descending":
        return values[::-1]
    return [values[i] for i in order]


def _flat(lists: list[Sequence[str]]) -> tuple[list[str], np.ndarray]:
    """Every entry of the lists in order, and where each list's entries end."""
    ends = np.cumsum(np.fromiter(map(len, lists), dtype=np.intp, count=len(lists)))
    return list(chain.from_iterable(lists)), ends


def columns_of(tl: Timeline, as_of: float) -> Columns:
    order = post_order(tl)
    n = len(order)
    # Timelines usually arrive oldest or newest first: then reordering is a copy or nothing.
    kind = "ascending" if order == list(range(n)) else "descending" if order == list(range(n - 1, -1, -1)) else "mixed"
    source_table = {s: clients.normalise_source(s) for s in set(tl.source)}
    tags, tag_ends = _flat(_reordered(tl.hashtags, order, kind))
    urls, domain_ends = _flat(_reordered(tl.urls, order, kind))
    domain_table = {u: link_domain(u) for u in set(urls)}
    return Columns(
        t=np.minimum(tl.created_at[order], as_of),
        texts=_reordered(tl.text, order, kind),
        sources=[source_table[s] for s in _reordered(tl.source, order, kind)],
        langs=_reordered(tl.lang, order, kind),
        retweet=tl.is_retweet[order],
        reply=tl.is_reply[order],
        quote=tl.is_quote[order],
        tags=folded_tags(tags),
        tag_ends=tag_ends,
        domains=list(map(domain_table.__getitem__, urls)),
        domain_ends=domain_ends,
        n_mentions=sum(map(len, tl.mentions)),
        retweet_sources=retweet_sources(tl),
    )
