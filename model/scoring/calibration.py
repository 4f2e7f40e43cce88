"""From a head's raw log-odds to calibrated probabilities and back, and the label they give."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from model.heads import HUMAN_LABEL

# How far above a threshold a lifted score lands (responses round scores to six decimals).
CLAIM_MARGIN = 1e-5


def calibrate(head: Mapping[str, Any], raw: np.ndarray) -> np.ndarray:
    """Maps raw log-odds to calibrated probabilities with the head's calibration.

    ``platt``: a logistic map ``1 / (1 + exp(-(a * raw + b)))``, strictly increasing, so distinct raw
    scores keep distinct probabilities; clipped to ``[floor, ceil]``. Older artifacts carry an
    isotonic table (``x``, ``y``) read by interpolation.
    """
    cal = head["calibration"]
    raw = np.asarray(raw, dtype=np.float64)
    if cal.get("method") == "platt":
        p = 1.0 / (1.0 + np.exp(-(cal["a"] * raw + cal["b"])))
        return np.clip(p, cal["floor"], cal["ceil"])
    return np.clip(np.interp(raw, cal["x"], cal["y"]), 0.0, 1.0)


def raw_at(head: Mapping[str, Any], p: float, above: bool) -> float:
    """A raw score whose calibrated probability is at most ``p`` (``above=False``: the largest such)
    or just above it (``above=True``: the smallest raw score whose probability exceeds ``p``)."""
    cal = head["calibration"]
    if cal.get("method") == "platt":
        target = min(max(p + (CLAIM_MARGIN if above else 0.0), cal["floor"]), cal["ceil"])
        return float((math.log(target / (1.0 - target)) - cal["b"]) / cal["a"])
    x, y = np.asarray(cal["x"]), np.asarray(cal["y"])
    if above:
        index = np.flatnonzero(y > p)
        return float(x[index[0]]) if index.size else float(x[-1])
    index = np.flatnonzero(y <= p)
    return float(x[index[-1]]) if index.size else float(x[0])


def band_of(head: Mapping[str, Any], n_posts: int) -> Mapping[str, Any]:
    """The calibration and threshold that apply to an account with ``n_posts`` posts.

    A head calibrated by bands of evidence (``HeadSpec.bands``) carries ``bands``: each with its
    ``min_posts``, ``calibration`` and ``threshold``; the band with the largest ``min_posts`` not above
    ``n_posts`` applies (the first one below every band). An unbanded head is its own band.
    """
    bands = head.get("bands")
    if not bands:
        return head
    chosen = bands[0]
    for band in bands:
        if band["min_posts"] <= n_posts:
            chosen = band
    return chosen


def calibrate_rows(head: Mapping[str, Any], raw: np.ndarray, n_posts: np.ndarray) -> np.ndarray:
    """Calibrated probabilities of many rows, each by its band of evidence (see :func:`band_of`)."""
    raw = np.asarray(raw, dtype=np.float64)
    bands = head.get("bands")
    if not bands:
        return calibrate(head, raw)
    out = np.empty_like(raw)
    lows = np.array([band["min_posts"] for band in bands])
    which = np.maximum(np.searchsorted(lows, np.asarray(n_posts), side="right") - 1, 0)
    for index, band in enumerate(bands):
        rows = which == index
        if rows.any():
            out[rows] = calibrate(band, raw[rows])
    return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def decide_label(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> str:
    """The class whose score most exceeds its threshold, else ``human``.

    The excess is measured in log-odds, so that a head with a low threshold does not win merely
    because probabilities near 1 cannot rise much further above a high one.
    """
    label, best = HUMAN_LABEL, 0.0
    for name, score in scores.items():
        if score <= thresholds[name]:
            continue
        margin = _logit(score) - _logit(thresholds[name])
        if margin > best:
            label, best = name, margin
    return label
