"""Which kind of bot an account is: a calibrated probability per type and the leading type's explanation.

The trained types (``model.heads.TRAINED_TYPES``) are one-vs-rest heads learnt on bots only, so each
score says how much the account resembles that kind among bots (not whether it is a bot: that is the
bot head's). ``self_declared`` has no labelled set to learn from and is read from what the account says
of itself: the platform's bot flag (``account.declared_bot``: Mastodon's ``bot``) or a handle, name or
bio that calls it a bot (the ``declares_automation`` feature), as an explanation entry of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import model.scoring.reasons as reasons
from model.features import FEATURE_INDEX
from model.heads import TRAINED_TYPES, TYPE_NAMES
from model.records import ScoringInput
from model.scoring import trees
from model.scoring.calibration import calibrate
from model.scoring.explain import explain

SELF_DECLARED = "self_declared"
# The self-declared type's probabilities: the platform's own flag, the account's words, neither.
FLAGGED, WORDED, UNDECLARED = 0.99, 0.9, 0.01


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


class BotTypes:
    """The loaded bot types, in ``TYPE_NAMES`` order when scored."""

    def __init__(self, types: list[dict[str, Any]], reference: Mapping[str, Mapping[str, float]]) -> None:
        self.types = {t["name"]: t for t in types}
        self.reference = reference
        for model in types:
            trees.prepare(model)

    def score(self, items: Sequence[ScoringInput], X: np.ndarray, top_k: int) -> list[dict[str, Any]]:
        """Per item: ``scores`` per type, the ``leading`` type and its ``explanation`` (exact, base + entries)."""
        probs = {name: calibrate(self.types[name], trees.raw(self.types[name], X)) for name in TRAINED_TYPES}
        declared = [self._declared(item, X[row]) for row, item in enumerate(items)]
        leading = [
            SELF_DECLARED if said is not None else max(TRAINED_TYPES, key=lambda name: probs[name][row])
            for row, said in enumerate(declared)
        ]
        explanations: list[dict[str, Any] | None] = [None] * len(items)
        for name in TRAINED_TYPES:
            rows = [row for row, lead in enumerate(leading) if lead == name]
            if not rows:
                continue
            contrib = trees.contributions(self.types[name], X[rows])
            for k, row in enumerate(rows):
                explanations[row] = explain(
                    self.types[name], X[row], contrib[k], top_k, None, self.reference, items[row].account.location
                )
        out = []
        for row, said in enumerate(declared):
            p_declared = UNDECLARED if said is None else said[0]
            scores = {name: round(float(probs[name][row]), 6) for name in TRAINED_TYPES}
            scores[SELF_DECLARED] = p_declared
            if said is not None:
                base = _logit(UNDECLARED)
                entry = {
                    "feature": said[1],
                    "value": 1.0,
                    "contribution": round(_logit(p_declared) - base, 6),
                    "reason": reasons.self_declared_reason(said[1]),
                }
                explanation = {
                    "base_value": round(base, 6),
                    "raw_score": round(_logit(p_declared), 6),
                    "top_features": [entry],
                }
            else:
                explanation = explanations[row] or {}
            out.append(
                {
                    "scores": {name: scores[name] for name in TYPE_NAMES},
                    "leading": leading[row],
                    "explanation": {"type": leading[row], **explanation},
                }
            )
        return out

    @staticmethod
    def _declared(item: ScoringInput, x: np.ndarray) -> tuple[float, str] | None:
        """How the account declares itself automated, if it does: (probability, the field that says so)."""
        if item.account.declared_bot is True:
            return FLAGGED, "declared_bot"
        if x[FEATURE_INDEX["declares_automation"]] == 1.0:
            return WORDED, "declares_automation"
        return None
