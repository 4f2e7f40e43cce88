"""One head's explanation of one account: base value, raw score and the strongest contributions in words."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

import model.scoring.reasons as reasons
from model.features import MISSING


def explain(
    head: Mapping[str, Any],
    x: np.ndarray,
    contrib: np.ndarray,
    top_k: int,
    rule: Mapping[str, Any] | None,
    reference: Mapping[str, Mapping[str, float]],
    location: str | None = None,
) -> dict[str, Any]:
    """The head's explanation of one account.

    Args:
        head: The loaded head (``features``, ``columns``, ``name``).
        x: The account's full feature row.
        contrib: The head's TreeSHAP contributions, base value last.
        top_k: Entries to report, largest absolute contribution first.
        rule: A declared rule's entry (``model.scoring.rules``), shown first and counted in the raw score.
        reference: Percentiles of each feature among human training accounts (for the reasons).
        location: The profile's location as sent (reasons about the place it claims name it).

    Returns:
        ``base_value``, ``raw_score`` (base value plus every contribution and the rule's) and ``top_features``.
    """
    features = head["features"]
    feature_contrib = contrib[:-1]
    order = np.argsort(-np.abs(feature_contrib), kind="stable")[:top_k]
    top: list[Any] = []
    if rule is not None:
        # A declared rule's entry comes first: it is the reason an analyst needs to see.
        top.append(rule)
        order = order[: max(top_k - 1, 0)]
    for j in order:
        c = float(feature_contrib[j])
        if c == 0.0:
            break
        name = features[j]
        value = float(x[head["columns"][j]])
        top.append(
            {
                "feature": name,
                "value": None if value == MISSING else _round(value),
                "contribution": round(c, 6),
                "reason": reasons.reason(name, value, c, head["name"], reference.get(name), x, location),
            }
        )
    return {
        "base_value": round(float(contrib[-1]), 6),
        "raw_score": round(float(contrib.sum()) + (rule["contribution"] if rule else 0.0), 6),
        "top_features": top,
    }


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return 0.0
    return round(value, 4) if abs(value) < 1000 else round(value, 1)
