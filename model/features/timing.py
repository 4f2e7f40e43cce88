"""Volume, rhythm and clock features: how much, how regularly and at which hours an account posts."""

from __future__ import annotations

import math

import numpy as np

from model.features.stats import entropy_bits, run_lengths
from model.features.table import DAY, FEATURE_INDEX

_I = FEATURE_INDEX

# The week in quarter hours (Monday 00:00 = 0): fine enough for the zones a quarter or half an hour off
# the hour (Tehran UTC+3:30, India UTC+5:30, Nepal UTC+5:45).
QUARTERS_PER_DAY = 96
WEEK_QUARTERS = 7 * QUARTERS_PER_DAY
# Epoch day 0 (1970-01-01) was a Thursday: shift so that quarter-of-week 0 is Monday 00:00.
_EPOCH_SHIFT = 3 * QUARTERS_PER_DAY
_QOW = np.arange(WEEK_QUARTERS)
_DAY_OF, _QUARTER_OF = _QOW // QUARTERS_PER_DAY, _QOW % QUARTERS_PER_DAY


def _between(start_hour: float, end_hour: float) -> np.ndarray:
    return (_QUARTER_OF >= start_hour * 4) & (_QUARTER_OF < end_hour * 4)


# Working weeks: Monday-Friday, Sunday-Thursday (Israel, some Gulf states until 2022) and Saturday-Wednesday
# (Iran): days of the local week (Monday = 0) that are working days.
WORKWEEKS = (
    ("Monday to Friday", (0, 1, 2, 3, 4)),
    ("Sunday to Thursday", (6, 0, 1, 2, 3)),
    ("Saturday to Wednesday", (5, 6, 0, 1, 2)),
)
_NIGHT = _between(0, 6)
# Every UTC offset from -12:00 to +14:00 in quarter hours (local = UTC + offset).
_OFFSET_QUARTERS = np.arange(-12 * 4, 14 * 4 + 1)
OFFSET_HOURS = _OFFSET_QUARTERS / 4.0
# Zone features hold the UTC offset plus this.
ZONE_BASE = 12.0


def _by_offset(mask: np.ndarray) -> np.ndarray:
    """Row k: which UTC quarters of the week lie inside a local-week mask at offset ``OFFSET_HOURS[k]``."""
    return np.stack([np.roll(mask, -k) for k in _OFFSET_QUARTERS]).astype(np.float64)


def _working(days: tuple[int, ...], start_hour: float, end_hour: float) -> np.ndarray:
    return np.isin(_DAY_OF, days) & _between(start_hour, end_hour)


# Per working week and offset (row = week * offsets + offset): office hours 09:00-18:00 on working days;
# office share first, two nested cores only break ties, towards the middle of the shift.
_OFFICE_BY_SHIFT = np.vstack([_by_offset(_working(days, 9, 18)) for _, days in WORKWEEKS])
_FIT = (
    _OFFICE_BY_SHIFT
    + 1e-3 * np.vstack([_by_offset(_working(days, 10, 17)) for _, days in WORKWEEKS])
    + 1e-6 * np.vstack([_by_offset(_working(days, 11, 16)) for _, days in WORKWEEKS])
)
_RESTDAYS_BY_SHIFT = np.vstack([_by_offset(~np.isin(_DAY_OF, days)) for _, days in WORKWEEKS])
_NIGHT_BY_OFFSET = _by_offset(_NIGHT)


def quarter_counts(t: np.ndarray) -> np.ndarray:
    """Posts per UTC quarter hour of the week."""
    qow = (np.floor(t / 900.0).astype(np.int64) + _EPOCH_SHIFT) % WEEK_QUARTERS
    return np.bincount(qow, minlength=WEEK_QUARTERS)


def shift_fit(t: np.ndarray) -> tuple[int, int, np.ndarray]:
    """The operator's clock inferred from the posts: the zone and working week whose office hours hold the most posts.

    Returns:
        (index into :data:`WORKWEEKS`, index into :data:`OFFSET_HOURS`, posts per UTC quarter of the week).
    """
    counts = quarter_counts(t)
    best = int(np.argmax(_FIT @ counts))
    week, offset = divmod(best, _OFFSET_QUARTERS.size)
    return week, offset, counts


def timing_features(t: np.ndarray, out: np.ndarray) -> None:
    """Volume, rhythm and clock features of the sorted post times ``t``."""
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

    week, offset, quarters = shift_fit(t)
    row = week * _OFFSET_QUARTERS.size + offset
    out[_I["office_share_best"]] = float(_OFFICE_BY_SHIFT[row] @ quarters / n)
    out[_I["weekend_share"]] = float(_RESTDAYS_BY_SHIFT[row] @ quarters / n)
    out[_I["night_share"]] = float(_NIGHT_BY_OFFSET[offset] @ quarters / n)
    # Zones are stored 12 hours up, so that every value is positive (MISSING is -1).
    out[_I["shift_zone"]] = float(OFFSET_HOURS[offset]) + ZONE_BASE
    out[_I["shift_workweek"]] = float(week)

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
