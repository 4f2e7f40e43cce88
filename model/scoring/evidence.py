"""How much of what the heads read a request carried: the fields used and the fields absent.

A field a request does not carry is unknown, not a sign of anything: the heads are trained with fields
dropped at random from both classes (``model.training.examples.dropout_variants``), the result says
which fields were used and which were absent, and the label does not say ``human`` on thin evidence:
where no head's score exceeds its threshold and the request carried less than half of the fields
the scores read, the label is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from model.features import FEATURES
from model.heads import UNKNOWN_LABEL
from model.records import ScoringInput

# Below this share of the fields the heads read, the label does not say human (it says unknown).
MIN_EVIDENCE = 0.5
__all__ = ["MIN_EVIDENCE", "UNKNOWN_LABEL", "carried", "needed_fields", "summary"]


def needed_fields(features: Iterable[str]) -> tuple[str, ...]:
    """The request fields whose absence leaves any of these features unmeasured, sorted."""
    wanted = set(features)
    return tuple(sorted({spec.needs for spec in FEATURES if spec.name in wanted and spec.needs}))


def carried(item: ScoringInput, field: str) -> bool:
    """Whether the request carried a field (``account.<name>``, ``posts`` or ``posts.<name>``).

    A post list field (hashtags, urls) counts as carried whenever there are posts: an empty list is a
    value, not an absence.
    """
    part, _, name = field.partition(".")
    if part == "account":
        return getattr(item.account, name, None) is not None
    n = len(item.posts)
    if not name:
        return n > 0
    if name in ("hashtags", "urls", "mentions"):
        return n > 0
    return n > 0 and any(value is not None for value in getattr(item.posts, name))


def summary(item: ScoringInput, fields: tuple[str, ...]) -> dict[str, Any]:
    """``fields_used``, ``fields_absent`` and the ``share`` used, over the fields the heads read."""
    used = [f for f in fields if carried(item, f)]
    absent = [f for f in fields if f not in used]
    return {"fields_used": used, "fields_absent": absent, "share": round(len(used) / max(len(fields), 1), 4)}
