"""Shared check: explanations name the features that actually drive a score."""

from __future__ import annotations

from collections.abc import Sequence

from model.features import FEATURE_INDEX
from model.records import ScoringInput
from model.scoring import Scorer


def top_bot_features_moved(scorer: Scorer, items: Sequence[ScoringInput]) -> int:
    """For each item, sets the top bot-raising feature to the typical human value and asserts the raw bot
    score drops; returns how many items had such a feature to move."""
    X = scorer.matrix(items)
    head = next(h for h in scorer.heads if h["name"] == "bot")
    moved = 0
    for row, result in enumerate(scorer.score(items)):
        # The first model feature: a rule's entry (automated posting, a declaration) is no feature to move.
        top = next(f for f in result["explanations"]["bot"]["top_features"] if f["feature"] in head["features"])
        if (
            top["contribution"] <= 0
            or top["value"] is None
            or top["feature"] not in scorer.reference
            or scorer.reference[top["feature"]]["p50"] == top["value"]
        ):
            continue  # Nothing to move it to: the value already is the typical one.
        perturbed = X[row : row + 1].copy()
        perturbed[0, FEATURE_INDEX[top["feature"]]] = scorer.reference[top["feature"]]["p50"]
        # The head's raw score, its stages' included.
        before = scorer.raw(head, X[row : row + 1])[0]
        after = scorer.raw(head, perturbed)[0]
        assert after < before, top
        moved += 1
    return moved
