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
