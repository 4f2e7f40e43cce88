"""The rules a head declares (``model.heads``), applied as explanation entries of their own.

Each entry's contribution moves the raw score: to the neutral value when there are fewer posts than
the head needs to make a claim (``min_posts``) or the posts rule the class out (``held_by``), or just
above the threshold when the account declares itself of the head's class (``declared_by``) or its
posts show it (``lifted_by``). The entry is part of the explanation, so base value plus
contributions still equal the raw score. A head calibrated by bands of evidence has its neutral
value and threshold per band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import model.scoring.reasons as reasons
from model.features import FEATURE_INDEX
from model.heads import BY_NAME, Explained, HeadSpec, PostEvidence
from model.records import ScoringInput
from model.scoring.calibration import band_of, calibrate, raw_at


class HeadRules:
    """One loaded head's declared rules; its fixed points are worked out once per model and band."""

    def __init__(self, head: Mapping[str, Any], spec: HeadSpec) -> None:
        self.head = head
        self.spec = spec
        self._points: dict[int, tuple[float, float]] = {}

    def points(self, base: float, n_posts: int = 0) -> tuple[float, float]:
        """The head's neutral raw score and the raw score just above its threshold, for ``n_posts`` posts.

        Neutral is the score of an account the head knows nothing about (its base value, the same for
        every row), or where that is above the threshold the highest raw score not above it.
        """
        band = band_of(self.head, n_posts)
        key = id(band)
        if key not in self._points:
            threshold = float(band["threshold"])
            at_base = float(calibrate(band, np.array([base]))[0])
            neutral = base if at_base <= threshold else raw_at(band, threshold, above=False)
            self._points[key] = (neutral, raw_at(band, threshold, above=True))
        return self._points[key]

    def entries(self, items: Sequence[ScoringInput], contrib: np.ndarray, X: np.ndarray) -> list[Any]:
        """Per row, the explanation entry a declared rule adds, or None."""
        entries: list[Any] = [None] * len(items)
        spec = self.spec
        if not spec.has_rules or not len(items):
            return entries
        raw = contrib.sum(axis=1)
        base = float(contrib[0, -1])
        name = spec.name
        columns = {feature: j for j, feature in enumerate(self.head["features"])}
        for row, item in enumerate(items):
            n = len(item.posts)
            neutral, lifted = self.points(base, n)
            held = _shown(spec.held_by, X[row], n)
            lifts = _shown(spec.lifted_by, X[row], n)
            if n < spec.min_posts:
                entries[row] = {
                    "feature": "posts",
                    "value": float(n),
                    "contribution": round(float(neutral - raw[row]), 6),
                    "reason": reasons.too_few_posts_reason(name, n, spec.min_posts),
                }
            elif held is not None:
                evidence, values = held
                entries[row] = {
                    "feature": evidence.name,
                    "value": round(values[0], 4),
                    "contribution": round(float(min(neutral - raw[row], 0.0)), 6),
                    "reason": reasons.ruled_out_reason(name, evidence, values, n, X[row], item.account.location),
                }
            elif spec.declared_by and getattr(item.account, spec.declared_by, None) is True:
                lift = max(float(lifted - raw[row]), 0.0)
                entries[row] = {
                    "feature": spec.declared_by,
                    "value": 1.0,
                    "contribution": round(lift, 6),
                    "reason": reasons.declared_reason(name, spec.declared_by, lifted=lift > 0),
                }
            elif lifts is not None:
                evidence, values = lifts
                lift = max(float(lifted - raw[row]), 0.0)
                entries[row] = {
                    "feature": evidence.name,
                    "value": round(values[0], 4),
                    "contribution": round(lift, 6),
                    "reason": reasons.evidence_reason(
                        name, evidence, values, n, lifted=lift > 0, row=X[row], location=item.account.location
                    ),
                }
            elif (explained := _explained(spec, X[row], n)) is not None:
                rule, values = explained
                used = [columns[f] for f in rule.features if f in columns]
                withdrawn = float(np.clip(contrib[row, used], 0.0, None).sum()) if used else 0.0
                entries[row] = {
                    "feature": rule.evidence.name,
                    "value": round(values[0], 4),
                    "contribution": round(-withdrawn, 6),
                    "reason": reasons.explained_reason(
                        name, rule.evidence, values, n, withdrawn, X[row], item.account.location
                    ),
                }
        return entries


def _shown(evidences: tuple[PostEvidence, ...], x: np.ndarray, n: int) -> tuple[PostEvidence, tuple[float, ...]] | None:
    """The first of the evidences the account's features show, with its condition values."""
    for evidence in evidences:
        values = tuple(float(x[FEATURE_INDEX[c.feature]]) for c in evidence.conditions)
        if evidence.holds(values, n):
            return evidence, values
    return None


def _explained(spec: HeadSpec, x: np.ndarray, n: int) -> tuple[Explained, tuple[float, ...]] | None:
    """The first of the head's innocent explanations the account's features show, with its condition values."""
    for rule in spec.explained_by:
        shown = _shown((rule.evidence,), x, n)
        if shown is not None:
            return rule, shown[1]
    return None


def held_warning(head: str, rule: Mapping[str, Any]) -> str | None:
    """The warning for a rule that held a head's score neutral, or None for a rule that did not."""
    spec = BY_NAME[head]
    if rule["feature"] == "posts":
        return reasons.held_warning(head, spec.min_posts)
    for evidence in spec.held_by:
        if rule["feature"] == evidence.name:
            return reasons.ruled_out_warning(head, evidence.says)
    return None
