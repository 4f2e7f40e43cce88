"""Self-consistency features (hijack): history against recent activity, split at the longest silence."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from model.features.columns import Columns
from model.features.stats import counts, js_arrays, js_divergence
from model.features.table import DAY, FEATURE_INDEX
from model.records import Account

_I = FEATURE_INDEX
# A gap at least this long counts as dormancy when splitting a timeline into history and recent activity.
DORMANT_SPLIT_DAYS = 3.0


def _split_index(t: np.ndarray) -> int:
    """Where history ends: after the longest silence (if dormant), else the middle."""
    n = t.size
    k = max(3, n // 10)
    gaps = np.diff(t)
    # Gap i lies between posts i and i + 1; both sides must keep at least k posts.
    window = gaps[k - 1 : n - k]
    if window.size and window.max() >= DORMANT_SPLIT_DAYS * DAY:
        return int(np.argmax(window)) + k
    return n // 2


def consistency_features(account: Account, c: Columns, out: np.ndarray) -> None:
    t = c.t
    n = t.size
    if account.created_at is not None:
        out[_I["creation_to_first_post_days"]] = max(0.0, (t[0] - account.created_at) / DAY)
    if n < 6:
        return
    s = _split_index(t)
    out[_I["recent_share"]] = (n - s) / n
    old, new = slice(0, s), slice(s, n)

    def hist(values: Sequence[Any], part: slice) -> Counter:
        return Counter(v for v in values[part] if v is not None)

    out[_I["drift_language"]] = js_divergence(hist(c.langs, old), hist(c.langs, new))
    out[_I["drift_source"]] = js_divergence(hist(c.sources, old), hist(c.sources, new))
    hours = (np.floor(t / 3600.0) % 24).astype(np.intp)
    out[_I["drift_hour"]] = js_arrays(np.bincount(hours[old], minlength=24), np.bincount(hours[new], minlength=24))
    # Post s - 1 is the history's last: its entries end where the recent ones begin.
    tag_cut, domain_cut = int(c.tag_ends[s - 1]), int(c.domain_ends[s - 1])
    out[_I["drift_hashtag"]] = js_divergence(Counter(c.tags[:tag_cut]), Counter(c.tags[tag_cut:]))
    out[_I["drift_domain"]] = js_divergence(
        counts(c.domains[:domain_cut], skip_blank=True), counts(c.domains[domain_cut:], skip_blank=True)
    )
    rt = c.retweet.astype(float)
    out[_I["drift_retweet_share"]] = abs(float(rt[new].mean()) - float(rt[old].mean()))
    old_rate = s / max((t[s - 1] - t[0]) / DAY, 1.0)
    new_rate = (n - s) / max((t[-1] - t[s]) / DAY, 1.0)
    out[_I["drift_rate"]] = abs(math.log10(new_rate / old_rate))
