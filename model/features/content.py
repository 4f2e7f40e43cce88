"""Client and content features: which tools post, and what the posts carry."""

from __future__ import annotations

from collections import Counter

import numpy as np

from model import clients
from model.features.columns import Columns
from model.features.stats import counts, entropy_bits
from model.features.table import FEATURE_INDEX
from model.features.text import duplicate_share

_I = FEATURE_INDEX
# Reposts of known authors needed to say how few sources an account reposts, and how many count as few.
MIN_KNOWN_REPOSTS = 5
TOP_SOURCES = 3


def client_features(sources: list[str | None], out: np.ndarray) -> None:
    known = [s for s in sources if s is not None]
    if not known:
        return
    counts = Counter(known)
    n = len(known)
    out[_I["distinct_sources"]] = float(len(counts))
    out[_I["top_source_share"]] = max(counts.values()) / n
    out[_I["desktop_web_share"]] = sum(c for s, c in counts.items() if s in clients.DESKTOP_WEB) / n
    out[_I["mobile_share"]] = sum(c for s, c in counts.items() if s in clients.MOBILE) / n
    out[_I["automation_share"]] = sum(c for s, c in counts.items() if clients.is_automation(s)) / n
    out[_I["unknown_source_share"]] = sum(c for s, c in counts.items() if not clients.is_known(s)) / n


def _top_tag_posts(c: Columns) -> int:
    """How many posts carry the most used hashtag (a tag repeated within one post counts once)."""
    if not c.tags:
        return 0
    post_of = np.repeat(np.arange(c.tag_ends.size), np.diff(c.tag_ends, prepend=0)).tolist()
    distinct = set(zip(post_of, c.tags))
    counts = Counter(c.tags) if len(distinct) == len(c.tags) else Counter(tag for _, tag in distinct)
    return max(counts.values())


def content_features(c: Columns, out: np.ndarray) -> None:
    n = c.t.size
    out[_I["retweet_share"]] = int(np.count_nonzero(c.retweet)) / n
    out[_I["reply_share"]] = int(np.count_nonzero(c.reply)) / n
    out[_I["quote_share"]] = int(np.count_nonzero(c.quote)) / n
    out[_I["hashtags_per_post"]] = len(c.tags) / n
    out[_I["mentions_per_post"]] = c.n_mentions / n
    out[_I["urls_per_post"]] = len(c.domains) / n
    out[_I["top_hashtag_share"]] = _top_tag_posts(c) / n
    if len(c.retweet_sources) >= MIN_KNOWN_REPOSTS:
        top = sorted(Counter(c.retweet_sources).values(), reverse=True)[:TOP_SOURCES]
        out[_I["top_sources_retweet_share"]] = sum(top) / len(c.retweet_sources)
    domain_counts = counts(c.domains, skip_blank=True)
    if domain_counts:
        out[_I["top_domain_share"]] = max(domain_counts.values()) / sum(domain_counts.values())

    texts = [x for x in c.texts if x is not None]
    if texts:
        lengths = np.fromiter(map(len, texts), dtype=float, count=len(texts))
        out[_I["text_length_mean"]] = float(lengths.mean())
        out[_I["text_length_cv"]] = float(lengths.std() / lengths.mean()) if lengths.mean() > 0 else 0.0
    out[_I["duplicate_text_share"]] = duplicate_share(
        [x for x, rt in zip(c.texts, c.retweet.tolist()) if x is not None and not rt]
    )
    langs = Counter(x for x in c.langs if x is not None)
    if langs:
        out[_I["distinct_languages"]] = float(len(langs))
        out[_I["language_entropy"]] = entropy_bits(langs.values())
