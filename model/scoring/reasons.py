"""Plain-language reasons for feature contributions, for trust-and-safety analysts."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from model.features import FEATURE_INDEX, FEATURES, MISSING
from model.features.timing import WORKWEEKS, ZONE_BASE
from model.heads import PostEvidence

_SPECS = {spec.name: spec for spec in FEATURES}


def utc_offset(hours: float) -> str:
    """A UTC offset in words: ``UTC+8``, ``UTC-6``, ``UTC+3:30``, ``UTC``."""
    if hours == 0:
        return "UTC"
    sign = "+" if hours > 0 else "-"
    whole, minutes = divmod(round(abs(hours) * 60), 60)
    return f"UTC{sign}{whole}" + (f":{minutes:02d}" if minutes else "")


def format_value(unit: str, value: float) -> str:
    """Formats a feature value for a sentence according to its unit."""
    if unit == "zone":
        return utc_offset(value - ZONE_BASE)
    if unit == "workweek":
        return WORKWEEKS[int(value)][0] if 0 <= int(value) < len(WORKWEEKS) else f"{value:g}"
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


def reason(
    name: str,
    value: float,
    contribution: float,
    head: str,
    reference: Mapping[str, float] | None,
    row: np.ndarray | None = None,
    location: str | None = None,
) -> str:
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
        row: The account's whole feature vector (the clock features name the zone that fits the posts).
        location: The profile's location as sent (the contradiction names the place it claims).
    """
    spec = _SPECS[name]
    direction = f"raises the {head} score" if contribution > 0 else f"lowers the {head} score"
    label = spec.label[:1].upper() + spec.label[1:]
    if value == MISSING:
        return f"{label}: not known, because {_unavailable(spec.needs)}. Its absence {direction}."
    clock = _clock(row)
    if name == "zone_contradiction_hours":
        text = _contradiction(value, row, location)
        return f"{text[:1].upper()}{text[1:]}. {direction.capitalize()}."
    fit = f", in {clock}" if clock and name in _CLOCK_FIT else ""
    return (
        f"{label}: {format_value(spec.unit, value)}{fit}{_typical(spec.unit, value, reference)}. "
        f"{direction.capitalize()}."
    )


# Features measured in the zone and working week that fit the posts: their reasons name it.
_CLOCK_FIT = frozenset({"office_share_best", "weekend_share", "night_share"})


def _clock(row: np.ndarray | None) -> str:
    """The posting clock the posts fit, in words (``UTC+8, Monday to Friday``), or empty."""
    if row is None:
        return ""
    zone = float(row[FEATURE_INDEX["shift_zone"]])
    week = float(row[FEATURE_INDEX["shift_workweek"]])
    if zone == MISSING or week == MISSING:
        return ""
    return f"{format_value('zone', zone)} ({format_value('workweek', week)})"


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


def shown(
    evidence: PostEvidence,
    values: tuple[float, ...],
    n: int,
    row: np.ndarray | None = None,
    location: str | None = None,
) -> str:
    """What the posts show, condition by condition: ``Of 200 posts: 97% of posts are reposts, ...``."""
    said = []
    for condition, value in zip(evidence.conditions, values):
        if condition.feature == "zone_contradiction_hours":
            said.append(_contradiction(value, row, location))
            continue
        unit = _SPECS[condition.feature].unit
        said.append(condition.says.format(format_value(unit, value)))
    return f"Of {n} posts: " + ", ".join(said)


def _contradiction(value: float, row: np.ndarray | None, location: str | None) -> str:
    """``posts fit office hours of UTC+8 (Monday to Friday); the profile claims Texas, USA (UTC-5), 13 h apart``."""
    clock = _clock(row)
    if not clock or row is None or not location:
        return f"the posting clock is {format_value('hours', value)} from the place the profile claims"
    claimed = format_value("zone", float(row[FEATURE_INDEX["claimed_zone"]]))
    return (
        f"posts fit office hours of {clock}; the profile claims {location.strip()} ({claimed}), "
        f"{format_value('hours', value)} apart"
    )


def evidence_reason(
    head: str,
    evidence: PostEvidence,
    values: tuple[float, ...],
    n: int,
    lifted: bool,
    row: np.ndarray | None = None,
    location: str | None = None,
) -> str:
    """The reason given when an account's posts show it of a head's class (``HeadSpec.lifted_by``)."""
    text = shown(evidence, values, n, row, location)
    if lifted:
        return f"{text}. Raises the {head} score to just above its threshold."
    return f"{text}; the {head} score was above its threshold already."


def explained_reason(
    head: str,
    evidence: PostEvidence,
    values: tuple[float, ...],
    n: int,
    withdrawn: float,
    row: np.ndarray | None = None,
    location: str | None = None,
) -> str:
    """The reason given when evidence explains a head's clock innocently (``HeadSpec.explained_by``)."""
    text = shown(evidence, values, n, row, location)
    if withdrawn > 0:
        return (
            f"{text}: a working day where it lives, not a shift abroad. "
            f"What its clock added to the {head} score is withdrawn."
        )
    return f"{text}: a working day where it lives; its clock added nothing to the {head} score."


def ruled_out_reason(
    head: str,
    evidence: PostEvidence,
    values: tuple[float, ...],
    n: int,
    row: np.ndarray | None = None,
    location: str | None = None,
) -> str:
    """The reason given when an account's posts rule a head's class out (``HeadSpec.held_by``)."""
    return (
        f"{shown(evidence, values, n, row, location)}: {evidence.meaning}. "
        f"The {head} score is kept at or below its neutral value."
    )


def ruled_out_warning(head: str, says: str) -> str:
    """The response warning when a head's score is held neutral because the posts rule its class out."""
    return f"most posts {says}: the {head} score is kept at or below its neutral value and the label is never {head}"


def abstain_warning(head: str, n: int, needed: int) -> str:
    """The response warning when a head's score ranks but its label abstains for thin evidence."""
    posts = f"{n} post{'s' if n != 1 else ''}"
    return (
        f"only {posts}: the {head} score ranks this account among accounts with as little activity, "
        f"but the label never names {head} below {needed} posts"
    )


def self_declared_reason(field: str) -> str:
    """The reason a bot is typed self-declared: the platform's flag, or the account's own words."""
    if field == "declared_bot":
        return "Declares itself automated (account.declared_bot: the platform's bot flag). The self-declared type."
    return "Calls itself a bot or an automated feed in its handle, name or bio. The self-declared type."


def unknown_warning(share: float, needed: float) -> str:
    """The response warning when the label abstains because the request carried too little."""
    return (
        f"the request carried {share:.0%} of the fields the scores read (at least {needed:.0%} are needed to say "
        "human): the label is unknown; absent fields count as unknown, not as human"
    )
