"""How each head is trained, declared once per head of ``model.heads``: its examples, target, what it may not
read and the directions the field knows.

Training (``model.training.train``) and evaluation (``model.training.evaluate``) read :data:`RECIPES`;
the service never does (it serves what the artifact holds). Adding a head is its :class:`HeadSpec`
in ``model.heads``, its :class:`Recipe` here, and the data it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from model.features import FEATURES
from model.heads import TRAINED_TYPES
from model.labels import BOT, HIJACKED, HUMAN, TROLL
from model.training.examples import Example

Rows = Callable[[Sequence[Example]], np.ndarray]

# The troll data (IRA) has minute timestamps, no posting client and no profile flags, and post languages
# that most human data lacks: features built on those would learn which dump an account came from.
_SUB_MINUTE = "needs second-resolution timestamps; IRA data is rounded to minutes"
_TROLL_PROFILE = (
    "profiles differ by era and collection between the troll snapshot and each human sample; "
    "with them the head learns the sample, not the behaviour"
)
_BOT_RATES = "depends on how each dump was collected (era, 1-in-50 sampling, one status per account)"
_VERIFIED = (
    "the Bot Repository's verified humans differ from every bot set by this flag alone: a shortcut, not behaviour"
)
# Features whose values move with the platform's era rather than the account's behaviour: quote posts
# arrived in 2015 and the 280-character limit in November 2017, while most human training data is older.
_ERA = {
    "quote_share": "quote posts exist from 2015; the human timelines here are older, so quoting tells eras apart",
    "text_length_mean": (
        "texts could be 140 characters before November 2017 and 280 after; the human timelines here are "
        "older than the troll ones, so length tells eras apart"
    ),
}


# Features that inform reasons but are no behaviour to score: which zone an operator sits in is where, not what.
_INFORMATIONAL = {
    "shift_zone": "which zone fits names a place, not a behaviour (the fit's strength and contradiction are scored)",
    "shift_workweek": "which working week fits names a culture, not a behaviour",
    "claimed_zone": "where a profile claims to be is no behaviour (its contradiction with the posting clock is scored)",
}
# Samples whose post times say when they were collected, not when the accounts post: one 7-hour window
# of one Saturday (the COVID-19 sample), and each account's latest status at the crawl (kaggle-2017).
_COLLECTION_TIMES = {("client-tweets", "covid-window"), ("kaggle-2017", None)}


def _sub_minute() -> dict[str, str]:
    return {spec.name: _SUB_MINUTE for spec in FEATURES if spec.sub_minute}


def _bot_excluded() -> dict[str, str]:
    # Timeline peaks depend on how a dump sampled its timelines. Lifetime counts came back with the Bot
    # Repository's profiles: leave-one-dataset-out ROC AUC rose on 7 of 12 sources with them
    # (docs/model.md).
    out = dict.fromkeys(("max_posts_per_day", "max_posts_per_hour"), _BOT_RATES)
    return {**out, "verified": _VERIFIED, **_ERA, **_INFORMATIONAL}


def _hijacked_excluded() -> dict[str, str]:
    return {**_sub_minute(), **_ERA, **_INFORMATIONAL}


# The troll head's features, chosen by leave-one-operation-out: trained on the IRA and tested on the Thai
# operation against every human source, and the other way round (forward selection on the worst source,
# docs/model.md). Rates, gaps and peaks are left out first: they measure how densely a dump sampled its
# timelines (cresci-2017's 1-in-50 sample, 1-3 posts per account in the 2020-21 samples) as much as the
# account, and chose an office worker as a troll on "3 posts in one hour". Office hours, nights and the
# contradiction with a claimed place carry from one operation to the other worse than these (the IRA
# posted round the clock, the Thai operation on office hours): they speak through the heads' rules instead.
TROLL_FEATURES = ("retweet_share", "top_hashtag_share", "weekend_share", "drift_retweet_share", "recent_share")
_SAMPLING = (
    "measures how densely the dump sampled the timeline (1-in-50, a few posts per account) as much as the account"
)
_RATES = (
    "posts_per_day",
    "max_posts_per_hour",
    "max_posts_per_day",
    "gap_median_s",
    "gap_cv",
    "burstiness",
    "longest_gap_days",
    "slots_15min_share",
    "drift_rate",
)
_FORMAT = "whether a repost's text names its source differs between dumps (IRA reposts do not): a format, not behaviour"
_NOT_CHOSEN = "left out by leave-one-operation-out selection (docs/model.md): it does not carry between operations"


def _troll_excluded() -> dict[str, str]:
    out = {**_sub_minute(), **_ERA, **_INFORMATIONAL}
    for spec in FEATURES:
        if spec.group == "profile":
            # Leave-one-dataset-out: ROC AUC on an unseen human sample 0.51 with profile features, 0.985 without.
            out[spec.name] = _TROLL_PROFILE
        if spec.needs == "posts.lang":
            out[spec.name] = "post language is given for trolls but missing for most human data"
    out.update(dict.fromkeys(_RATES, _SAMPLING), mentions_per_post=_FORMAT)
    for spec in FEATURES:
        if spec.name not in out and spec.name not in TROLL_FEATURES:
            out[spec.name] = _NOT_CHOSEN
    return out


def _bot_rows(examples: Sequence[Example]) -> np.ndarray:
    # Only datasets that hold bots (bots against their own dataset's humans), so human-only samples
    # cannot teach the head which dump is bot-free.
    bot_datasets = {e.dataset for e in examples if e.label == BOT}
    return np.array(
        [e.dataset in bot_datasets and not e.hijacked and e.label in (BOT, HUMAN) for e in examples], dtype=bool
    )


def _bot_or_human(examples: Sequence[Example]) -> np.ndarray:
    # Tested also on human-only samples it never trains on (verified humans, 2020-21 users).
    return np.array([not e.hijacked and e.label in (BOT, HUMAN) for e in examples], dtype=bool)


def _with_timelines(examples: Sequence[Example]) -> np.ndarray:
    # Datasets with no posts at all (the Bot Repository's profiles) tell a behaviour-only head nothing.
    with_posts = {e.dataset for e in examples if len(e.item.posts)}
    return np.array([e.dataset in with_posts for e in examples], dtype=bool)


def _troll_rows(examples: Sequence[Example]) -> np.ndarray:
    # Accounts with timelines whose post times are the accounts' own (not a collection window's).
    timed = np.array(
        [
            (e.dataset, e.group) not in _COLLECTION_TIMES and (e.dataset, None) not in _COLLECTION_TIMES
            for e in examples
        ],
        dtype=bool,
    )
    return _with_timelines(examples) & timed & np.array([not e.hijacked for e in examples], dtype=bool)


@dataclass(frozen=True)
class Recipe:
    """How one head is trained and evaluated.

    Attributes:
        head: The head's name in ``model.heads``.
        rows: Which examples the head trains and is evaluated on (a mask over the examples).
        target: Whether an example is a positive.
        excluded: Features the head may not use, each with the confound that rules it out.
        matching: Missing-field handling of its training rows: ``within_dataset`` or ``overall``
            missingness matching between its classes (``model.training.examples.missingness_matched``), or None.
        positives_pooled: Per-dataset tests compare all test positives with each dataset's negatives
            (for a head whose positives all come from one source).
        tested: Which examples a dataset left out of training is tested on (default: ``rows``); a source
            of one class is tested against the other class's test-split accounts of the rest.
        monotone: Features whose direction the field knows, each +1 (a higher value never lowers the
            score) or -1; training passes them to LightGBM as ``monotone_constraints``. A missing value
            (-1) sits below every observed one, so it never raises the score above what 0 would give.
    """

    head: str
    rows: Rows
    target: Callable[[Example], bool]
    excluded: Callable[[], dict[str, str]] = field(default=dict)
    matching: str | None = None
    positives_pooled: bool = False
    monotone: Mapping[str, int] = field(default_factory=dict)
    tested: Rows | None = None

    def labels(self, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
        """The head's example mask and binary target over ``examples``."""
        return self.rows(examples), np.array([self.target(e) for e in examples], dtype=int)

    def testable(self, examples: Sequence[Example]) -> np.ndarray:
        """The mask of examples a left-out dataset's test may draw on."""
        return (self.tested or self.rows)(examples)

    def features(self, names: Sequence[str]) -> list[str]:
        """The feature names the head uses, in the order given."""
        excluded = self.excluded()
        return [name for name in names if name not in excluded]

    def constraints(self, features: Sequence[str]) -> list[int]:
        """LightGBM's ``monotone_constraints`` for these features (0 where the direction is left to the data)."""
        unknown = set(self.monotone) - set(features)
        if unknown:
            raise ValueError(f"head {self.head}: monotone features it does not use: {sorted(unknown)}")
        return [int(self.monotone.get(name, 0)) for name in features]


RECIPES: tuple[Recipe, ...] = (
    Recipe(
        BOT,
        rows=_bot_rows,
        target=lambda e: e.label == BOT,
        tested=_bot_or_human,
        excluded=_bot_excluded,
        matching="within_dataset",
        # More automation, repeated texts, machine-regular gaps or posts never make an account less bot-like.
        monotone={
            "automation_share": 1,
            "duplicate_text_share": 1,
            "declares_automation": 1,
            "gap_share_repeated": 1,
            "posts_per_day": 1,
        },
    ),
    Recipe(
        TROLL,
        rows=_troll_rows,
        target=lambda e: e.label == TROLL,
        excluded=_troll_excluded,
        matching="overall",
        positives_pooled=True,
        # More reposting never makes an account less troll-like (amplification is the operations' staple).
        monotone={"retweet_share": 1},
    ),
    Recipe(
        HIJACKED,
        rows=_with_timelines,
        target=lambda e: e.hijacked,
        excluded=_hijacked_excluded,
        # A break from the account's own history (a longer silence, then another language, client, time of
        # day, topic or link domains) never makes a takeover less likely. Without these, 1.4.0's first
        # training read a complete change of language as lowering the hijacked score.
        monotone={
            "longest_gap_days": 1,
            "drift_language": 1,
            "drift_source": 1,
            "drift_hour": 1,
            "drift_hashtag": 1,
            "drift_domain": 1,
        },
    ),
)
BY_HEAD = {recipe.head: recipe for recipe in RECIPES}

# The type of each bot set, as the Bot Repository groups them (kaggle-2017's bot lists name no type and
# train no type head).
_TYPE_OF_DATASET = {
    "political-bots-2019": "astroturf",
    "vendor-purchased-2019": "fake_follower",
    "cresci-2015": "fake_follower",
    "cresci-stock-2018": "financial",
    "pronbots-2019": "spammer",
    "botometer-feedback-2019": "other",
    "gilani-2017": "other",
    "cresci-rtbust-2019": "other",
}


def bot_type(example: Example) -> str | None:
    """The type of a bot example, or None (not a bot, or a bot of no named type)."""
    if example.label != BOT or example.hijacked:
        return None
    if example.dataset == "cresci-2017":
        return "fake_follower" if example.group == "fake_followers" else "spammer"
    # An adapter may name a bot's type as its group.
    return _TYPE_OF_DATASET.get(example.dataset) or (example.group if example.group in TRAINED_TYPES else None)


def _typed_bots(examples: Sequence[Example]) -> np.ndarray:
    return np.array([bot_type(e) is not None for e in examples], dtype=bool)


def _type_recipe(name: str) -> Recipe:
    # One type against the other types, on bots only, reading what the bot head reads; which fields a set
    # carries is matched between the classes, so a set's missing fields cannot stand for its type.
    return Recipe(
        name,
        rows=_typed_bots,
        target=lambda e: bot_type(e) == name,
        excluded=_bot_excluded,
        matching="overall",
    )


TYPE_RECIPES = {name: _type_recipe(name) for name in TRAINED_TYPES}


def recipe(name: str) -> Recipe:
    """The recipe of a head or a trained bot type."""
    return BY_HEAD.get(name) or TYPE_RECIPES[name]
