"""Volume, rhythm and clock features: how much, how regularly and at which hours an account posts."""

from __future__ import annotations

import math

import numpy as np

from model.features.stats import entropy_bits, run_lengths
from model.features.table import DAY, FEATURE_INDEX, OPERATOR_OFFSETS

_I = FEATURE_INDEX
# Hours of the week (Monday 00:00 = 0) that are office hours, Monday-Friday 09:00-18:00.
_HOW = np.arange(168)

_OFFICE = ((_HOW // 24) < 5) & ((_HOW % 24) >= 9) & ((_HOW % 24) < 18)

_WEEKEND = (_HOW // 24) >= 5

_OFFSETS = np.arange(-12, 15)

# Row k: which UTC hours of the week are office hours at offset _OFFSETS[k] (local = UTC + offset).
_OFFICE_BY_OFFSET = np.stack([np.roll(_OFFICE, -k) for k in _OFFSETS]).astype(float)

_WEEKEND_BY_OFFSET = np.stack([np.roll(_WEEKEND, -k) for k in _OFFSETS]).astype(float)

# Epoch day 0 (1970-01-01) was a Thursday: shift so that hour-of-week 0 is Monday 00:00.
_EPOCH_HOW_SHIFT = 3 * 24


def timing_features(t: np.ndarray, out: np.ndarray) -> None:
    # t is sorted, so buckets of it are sorted too: counts are run lengths, no np.unique needed.
    n = t.size
    hour_bucket = np.floor(t / 3600.0)
    day_bucket = np.floor(t / DAY)
    out[_I["max_posts_per_hour"]] = float(run_lengths(hour_bucket).max())
    out[_I["max_posts_per_day"]] = float(run_lengths(day_bucket).max())
    slots = np.count_nonzero(np.bincount(np.floor((t % DAY) / 900.0).astype(np.intp), minlength=97))
    out[_I["slots_15min_share"]] = slots / min(n, 96)

    hours = (hour_bucket % 24).astype(int)
    hour_counts = np.bincount(hours, minlength=24)
    out[_I["hour_entropy"]] = entropy_bits(hour_counts) / math.log2(24)
    out[_I["peak_hour_share"]] = hour_counts.max() / n
    if n >= 10:
        # Longest circular run of empty hours: doubling the day handles runs across midnight.
        empty = np.concatenate([hour_counts == 0, hour_counts == 0]).tolist()
        run = best = 0
        for is_empty in empty:
            run = run + 1 if is_empty else 0
            best = max(best, run)
        out[_I["night_silence_hours"]] = float(min(best, 24))

    how = ((hour_bucket + _EPOCH_HOW_SHIFT) % 168).astype(int)
    how_counts = np.bincount(how, minlength=168)
    # Local hour-of-week at offset k is (how + k) mod 168: roll the office mask the other way.
    office = _OFFICE_BY_OFFSET @ how_counts / n
    for key, offset in OPERATOR_OFFSETS.items():
        out[_I[f"office_share_{key}"]] = float(office[offset - _OFFSETS[0]])
    best = int(np.argmax(office))
    out[_I["office_share_best"]] = float(office[best])
    out[_I["weekend_share"]] = float(_WEEKEND_BY_OFFSET[best] @ how_counts / n)

    if n < 2:
        return
    span_days = (t[-1] - t[0]) / DAY
    out[_I["posts_per_day"]] = n / max(span_days, 1.0)
    gaps = np.diff(t)
    mean = float(gaps.mean())
    std = float(gaps.std())
    ordered = np.sort(gaps)
    m = ordered.size
    # The median as np.median computes it, from the sort needed below anyway.
    out[_I["gap_median_s"]] = float(ordered[m // 2]) if m % 2 else float((ordered[m // 2 - 1] + ordered[m // 2]) / 2)
    out[_I["gap_cv"]] = std / mean if mean > 0 else 0.0
    out[_I["gap_share_under_2s"]] = float((gaps < 2.0).mean())
    counts = run_lengths(np.round(ordered))
    out[_I["gap_share_repeated"]] = float(counts[counts > 1].sum() / gaps.size) if gaps.size > 1 else 0.0
    out[_I["burstiness"]] = ((std - mean) / (std + mean) + 1.0) / 2.0 if std + mean > 0 else 0.0
    out[_I["longest_gap_days"]] = float(ordered[-1] / DAY)
