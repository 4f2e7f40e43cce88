"""Plain-language reasons for feature contributions, for trust-and-safety analysts."""

from __future__ import annotations

from collections.abc import Mapping

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


def _unavailable(needs: str | None) -> str:
    """Why a feature has no value, in words."""
    if needs in (None, "posts"):
        return "too few posts were supplied to measure it"
    part, _, name = needs.partition(".")
    if part == "account":
        return f"the request has no account.{name}"
    return f"no supplied post has {name}, or too few posts were supplied to measure it"


def _typical(unit: str, value: float, reference: Mapping[str, float] | None) -> str:
    """How the value compares with typical (human training) accounts; empty where that says nothing."""
    if not reference or "p10" not in reference or "p90" not in reference:
        return ""
    lo, hi = reference["p10"], reference["p90"]
    if unit == "flag":
        if lo != hi:
            return ""
        return ", as for most accounts" if (value >= 0.5) == (lo >= 0.5) else ", unlike most accounts"
    if unit == "share" and lo <= 0.0 and hi >= 1.0:
        return ""  # typical accounts range from none to all: no comparison to make
    if lo == hi:
        return f" (typical accounts: {format_value(unit, lo)})"
    return f" (typical accounts: {format_value(unit, lo)} to {format_value(unit, hi)})"


def reason(name: str, value: float, contribution: float, head: str, reference: Mapping[str, float] | None) -> str:
    """One sentence or two: the feature's value, what typical human accounts show, and which way it pushes.

    Examples: ``Most posts in one day: 145 (typical accounts: 1 to 12). Raises the bot score.``;
    ``Client change: not known, because no supplied post has source, or too few posts were supplied
    to measure it. Its absence lowers the hijacked score.``

    Args:
        name: Feature name.
        value: The account's value (``MISSING`` when unavailable).
        contribution: Log-odds contribution to the head's raw score.
        head: The head explained (``bot``, ``troll``, ...).
        reference: Percentiles (``p10``, ``p90``) of the feature among human training accounts.
    """
    spec = _SPECS[name]
    direction = f"raises the {head} score" if contribution > 0 else f"lowers the {head} score"
    label = spec.label[:1].upper() + spec.label[1:]
    if value == MISSING:
        return f"{label}: not known, because {_unavailable(spec.needs)}. Its absence {direction}."
    return (
        f"{label}: {format_value(spec.unit, value)}{_typical(spec.unit, value, reference)}. {direction.capitalize()}."
    )


def too_few_posts_reason(head: str, n: int, needed: int) -> str:
    """The reason given when a head's score is held neutral for lack of posts."""
    posts = "no posts" if n == 0 else f"only {n} post{'s' if n > 1 else ''}"
    return (
        f"Posts supplied: {posts}, too few to judge {head} behaviour (a claim needs {needed}). "
        f"The {head} score is held at its neutral value."
    )


def held_warning(head: str, needed: int) -> str:
    """The response warning when a head's score is held neutral for lack of posts."""
    return f"fewer than {needed} posts: the {head} score is held at its neutral value and the label is never {head}"


def declared_reason(head: str, field: str, lifted: bool) -> str:
    """The reason given when an account declares itself of a head's class (``account.<field>``)."""
    if lifted:
        return f"Declares itself automated (account.{field}). Raises the {head} score to just above its threshold."
    return f"Declares itself automated (account.{field}); the {head} score was above its threshold already."


def evidence_reason(head: str, share: float, n: int, says: str, lifted: bool) -> str:
    """The reason given when an account's posts show it of a head's class (``HeadSpec.lifted_by``)."""
    shown = f"{share:.0%} of {n} posts {says}"
    if lifted:
        return f"{shown}. Raises the {head} score to just above its threshold."
    return f"{shown}; the {head} score was above its threshold already."


def ruled_out_reason(head: str, share: float, n: int, says: str) -> str:
    """The reason given when an account's posts rule a head's class out (``HeadSpec.held_by``)."""
    return (
        f"{share:.0%} of {n} posts {says}: machine-published. The {head} score is kept at or below its neutral value."
    )


def ruled_out_warning(head: str, says: str) -> str:
    """The response warning when a head's score is held neutral because the posts rule its class out."""
    return f"most posts {says}: the {head} score is kept at or below its neutral value and the label is never {head}"
