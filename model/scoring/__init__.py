"""Scoring: a verified model loaded once, calibrated scores, the heads' rules and exact explanations.

``artifact`` verifies and loads, ``calibration`` maps raw scores to probabilities and labels,
``rules`` applies what the heads declare, ``explain`` and ``reasons`` put contributions into words,
``scorer`` ties them together.
"""

from model.scoring.artifact import DEFAULT_ARTIFACT, DEFAULT_CARD, DEFAULT_PUBLIC_KEY, sha256_file
from model.scoring.calibration import calibrate, decide_label
from model.scoring.scorer import Scorer, warnings_for

__all__ = [
    "DEFAULT_ARTIFACT",
    "DEFAULT_CARD",
    "DEFAULT_PUBLIC_KEY",
    "Scorer",
    "calibrate",
    "decide_label",
    "sha256_file",
    "warnings_for",
]
