"""The rules a head declares (``model.heads``), applied as explanation entries of their own.

Each entry's contribution moves the raw score: to the neutral value when there are fewer posts than
the head needs to make a claim (``min_posts``) or the posts rule the class out (``held_by``), or just
above the threshold when the account declares itself of the head's class (``declared_by``) or its
posts show it (``lifted_by``). The entry is part of the explanation, so base value plus
contributions still equal the raw score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import model.scoring.reasons as reasons
from model.features import FEATURE_INDEX
from model.heads import BY_NAME, HeadSpec
from model.records import ScoringInput
from model.scoring.calibration import calibrate, raw_at


class HeadRules:
    """One loaded head's declared rules; its two fixed points are worked out once per model."""

    def __init__(self, head: Mapping[str, Any], spec: HeadSpec) -> None:
        self.head = head
        self.spec = spec
        self._points: tuple[float, float] | None = None

    def points(self, base: float) -> tuple[float, float]:
        """The head's neutral raw score and the raw score just above its threshold.

        Neutral is the score of an account the head knows nothing about (its base value, the same for
        every row), or where that is above the threshold the highest raw score not above it.
        """
        if self._points is None:
            threshold = float(self.head["threshold"])
            at_base = float(calibrate(self.head, np.array([base]))[0])
            neutral = base if at_base <= threshold else raw_at(self.head, threshold, above=False)
            self._points = (neutral, raw_at(self.head, threshold, above=True))
        return self._points

    def entries(self, items: Sequence[ScoringInput], contrib: np.ndarray, X: np.ndarray) -> list[Any]:
        """Per row, the explanation entry a declared rule adds, or None."""
        entries: list[Any] = [None] * len(items)
        spec = self.spec
        if not spec.has_rules or not len(items):
            return entries
        raw = contrib.sum(axis=1)
        neutral, lifted = self.points(float(contrib[0, -1]))
        name = spec.name
        held, lifts = spec.held_by, spec.lifted_by
        for row, item in enumerate(items):
            n = len(item.posts)
            if n < spec.min_posts:
                entries[row] = {
                    "feature": "posts",
                    "value": float(n),
                    "contribution": round(float(neutral - raw[row]), 6),
                    "reason": reasons.too_few_posts_reason(name, n, spec.min_posts),
                }
            elif held and held.holds(share := float(X[row, FEATURE_INDEX[held.feature]]), n):
                entries[row] = {
                    "feature": held.name,
                    "value": round(share, 4),
                    "contribution": round(float(min(neutral - raw[row], 0.0)), 6),
                    "reason": reasons.ruled_out_reason(name, share, n, held.says),
                }
            elif spec.declared_by and getattr(item.account, spec.declared_by, None) is True:
                lift = max(float(lifted - raw[row]), 0.0)
                entries[row] = {
                    "feature": spec.declared_by,
                    "value": 1.0,
                    "contribution": round(lift, 6),
                    "reason": reasons.declared_reason(name, spec.declared_by, lifted=lift > 0),
                }
            elif lifts and lifts.holds(share := float(X[row, FEATURE_INDEX[lifts.feature]]), n):
                lift = max(float(lifted - raw[row]), 0.0)
                entries[row] = {
                    "feature": lifts.name,
                    "value": round(share, 4),
                    "contribution": round(lift, 6),
                    "reason": reasons.evidence_reason(name, share, n, lifts.says, lifted=lift > 0),
                }
        return entries


def held_warning(head: str, rule: Mapping[str, Any]) -> str | None:
    """The warning for a rule that held a head's score neutral, or None for a rule that did not."""
    spec = BY_NAME[head]
    if rule["feature"] == "posts":
        return reasons.held_warning(head, spec.min_posts)
    if spec.held_by is not None and rule["feature"] == spec.held_by.name:
        return reasons.ruled_out_warning(head, spec.held_by.says)
    return None
