"""Plain-language reasons for feature contributions, for trust-and-safety analysts."""

from __future__ import annotations

from typing import Mapping

from model.features import FEATURES, MISSING

_SPECS = {spec.name: spec for spec in FEATURES}


def format_value(unit: str, value: float) -> str:
    """Formats a feature value for a sentence according to its unit."""
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "flag":
        return "yes" if value >= 0.5 else "no"
    if unit == "days":
        return f"{value:,.0f} days" if value >= 10 else f"{value:.1f} days"
    if unit == "hours":
        return f"{value:.0f} h"
    if unit == "seconds":
        if value >= 86400:
            return f"{value / 86400:.1f} days"
        if value >= 3600:
            return f"{value / 3600:.1f} h"
        if value >= 60:
            return f"{value / 60:.1f} min"
        return f"{value:.0f} s"
    if unit in {"count", "chars"}:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"


def reason(name: str, value: float, contribution: float, head: str, reference: Mapping[str, float] | None) -> str:
    """One sentence: the feature's value, what typical human accounts show, and which way it pushes.

    Args:
        name: Feature name.
        value: The account's value (``MISSING`` when unavailable).
        contribution: Log-odds contribution to the head's raw score.
        head: The head explained (``bot``, ``troll``, ...).
        reference: Percentiles (``p10``, ``p90``) of the feature among human training accounts.
    """
    spec = _SPECS[name]
    direction = f"raises the {head} score" if contribution > 0 else f"lowers the {head} score"
    if value == MISSING:
        needs = f" ({spec.needs} not supplied or too few posts)" if spec.needs else ""
        return f"{spec.label}: not available{needs}; its absence {direction}"
    text = f"{spec.label}: {format_value(spec.unit, value)}"
    if reference and "p10" in reference and "p90" in reference:
        lo, hi = reference["p10"], reference["p90"]
        if lo == hi:
            text += f" (typical accounts: {format_value(spec.unit, lo)})"
        else:
            text += f" (typical accounts: {format_value(spec.unit, lo)} to {format_value(spec.unit, hi)})"
    return f"{text}; {direction}"
