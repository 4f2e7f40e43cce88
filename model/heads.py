"""The scoring heads, declared once: their names, what they mean, and how the service reports them.

This is the serving side of a head: the response schema (``api.schemas``), the result renderer
(``model.results``), Spark's columns and the rules the scorer applies (``model.scoring``) read
:data:`HEADS`. How a head is trained (its examples, target, excluded features, known directions) is
its recipe in ``model.training.recipes``, one per head here (a test keeps them equal). The service
takes its class order from the loaded artifact, which training writes in this order, and refuses an
artifact whose heads are not these.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.labels import BOT, HIJACKED, HUMAN, TROLL


@dataclass(frozen=True)
class Condition:
    """One measured condition of :class:`PostEvidence`: a feature at least (or at most) a value.

    Attributes:
        feature: A feature of ``model.features``; a missing value never meets a condition.
        bound: The value that counts.
        at_most: The feature must be at most ``bound`` (else at least).
        says: The condition in words, with ``{}`` for the account's value ("{} of posts are reposts").
    """

    feature: str
    bound: float
    says: str
    at_most: bool = False

    def met(self, value: float) -> bool:
        """Whether an account's value meets the condition (never when the value is missing, -1)."""
        if value < 0:
            return False
        return value <= self.bound if self.at_most else value >= self.bound


@dataclass(frozen=True)
class PostEvidence:
    """What an account's posts say outright: at least ``min_posts`` posts meeting every one of ``conditions``.

    Attributes:
        name: The rule's entry in explanations (not a model feature).
        conditions: What the posts must show; the first one's value is the entry's value.
        min_posts: The fewest posts that count.
        says: What the posts show, for reasons and warnings ("came through scheduling and automation tools").
        meaning: What that makes the account, where it rules a class out ("machine-published").
    """

    name: str
    conditions: tuple[Condition, ...]
    min_posts: int
    says: str
    meaning: str = "machine-published"

    def holds(self, values: tuple[float, ...], n_posts: int) -> bool:
        """Whether the evidence holds for an account with these condition values and number of posts."""
        return n_posts >= self.min_posts and all(c.met(v) for c, v in zip(self.conditions, values))


# Posts published through scheduling and automation tools (model/clients.py) are machine-published,
# whoever runs the account. In the data: 364 of 1,207 cresci-2017 bots with 20+ posts and 2 of 756
# humans post 90%+ through them; no IRA timeline carries a client, so neither head could learn it.
AUTOMATED_POSTING = PostEvidence(
    "automated_posting",
    (Condition("automation_share", 0.9, "{} of posts came through scheduling and automation tools"),),
    20,
    "came through scheduling and automation tools",
)
# An amplifier: nearly nothing but reposts of a few accounts, at a volume and around a clock no person
# keeps (state bot networks averaged more than 50 posts a day; one takedown had some 150,000 amplifiers
# for 23,750 core accounts). Bounds and what they catch in the data: docs/model.md.
AUTOMATED_AMPLIFICATION = PostEvidence(
    "automated_amplification",
    (
        Condition("retweet_share", 0.9, "{} of posts are reposts"),
        Condition("top_sources_retweet_share", 0.8, "{} of the reposts repost the same three accounts or fewer"),
        Condition("posts_per_day", 40.0, "{} posts a day"),
        Condition("night_silence_hours", 3.0, "the longest daily silence is {}", at_most=True),
    ),
    50,
    "are reposts of a few accounts around the clock at a volume no person keeps",
)


# A persona on an operator's shift: nearly every post in the office hours of one time zone and working
# week, hardly any on rest days or at night there, and that zone hours away from the place the profile
# claims (a "Texas, USA" persona posting on weekday office hours of UTC+8). In the data: 95 of 1,831 IRA
# accounts with 20+ posts, and 2 of 359 humans with a location and 20+ posts (docs/model.md).
OPERATOR_SHIFT = PostEvidence(
    "operator_shift",
    (
        Condition("zone_contradiction_hours", 4.0, "{}"),
        Condition("office_share_best", 0.8, "{} of posts in those office hours"),
        Condition("weekend_share", 0.05, "{} on rest days", at_most=True),
        Condition("night_share", 0.05, "{} at night there", at_most=True),
    ),
    20,
    "keep an operator's office hours in a zone far from the place the profile claims",
    "a person on an operator's shift, not a machine",
)


@dataclass(frozen=True)
class Explained:
    """Evidence that explains why some features push a head's score up, innocently: where it holds, the
    raising contributions of ``features`` are withdrawn, as an explanation entry of its own."""

    evidence: PostEvidence
    features: tuple[str, ...]


# Office hours kept where the profile says the account is: a working day at home, not a shift abroad
# (an accountant in Austin posting 09:00-18:00 Central time); what the clock adds to the troll score
# is withdrawn.
OWN_ZONE_HOURS = Explained(
    PostEvidence(
        "own_zone_hours",
        (
            Condition("zone_contradiction_hours", 1.5, "{}", at_most=True),
            Condition("office_share_best", 0.6, "{} of posts in those office hours"),
        ),
        10,
        "keep office hours where the profile says the account is",
    ),
    ("weekend_share", "office_share_best", "night_share"),
)


@dataclass(frozen=True)
class HeadSpec:
    """One head, as the service serves it.

    Attributes:
        name: Class name in scores, labels, explanations and output columns.
        description: One line for the response schema and docs.
        declared_by: An account flag by which the account declares itself this class (Mastodon's bot
            flag): when true, the score is lifted just above the head's threshold if it is below,
            as an explanation entry of its own, so the explanation still sums to the raw score.
        lifted_by: Evidence in the posts by which the account shows itself of this class: as with
            ``declared_by``, the score is lifted just above the threshold if it is below.
        held_by: Evidence in the posts that rules this class out of the head's claim: the score is kept
            at or below its neutral value, and the label never names the head.
        min_posts: Below this many posts the head makes no claim: its score is held at its neutral value
            (the calibrated base value, or where that is above the threshold the highest calibrated
            value not above it), as an explanation entry of its own, with a warning.
        bands: Post counts from which the head's calibration and threshold change (each band of evidence
            is calibrated on its own, and its threshold keeps 1% of that band's negatives above it);
            empty: one calibration for every account.
        label_min_posts: Below this many posts the score still ranks, but the label never names the head
            (the evidence is thin); a warning says so.
        explained_by: Evidence that explains some features' raising contributions innocently (withdrawn).
        moderation_label: The label value a moderation service (an AT Protocol labeler) gives an account
            whose stored label names this head (``model.labeling``).
    """

    name: str
    description: str
    declared_by: str | None = None
    min_posts: int = 0
    lifted_by: tuple[PostEvidence, ...] = ()
    held_by: tuple[PostEvidence, ...] = ()
    bands: tuple[int, ...] = ()
    label_min_posts: int = 0
    explained_by: tuple[Explained, ...] = ()
    moderation_label: str = ""

    @property
    def has_rules(self) -> bool:
        """Whether any rule of the head can add an explanation entry."""
        return bool(self.min_posts or self.declared_by or self.lifted_by or self.held_by or self.explained_by)


HEADS: tuple[HeadSpec, ...] = (
    HeadSpec(
        BOT,
        "Automated account: scheduling or automation clients, machine timing, volume, amplification, default profiles.",
        declared_by="declared_bot",
        lifted_by=(AUTOMATED_POSTING, AUTOMATED_AMPLIFICATION),
        # A shift kept in a zone far from the persona's place is people at work: the troll head's to judge.
        held_by=(OPERATOR_SHIFT,),
        moderation_label="likely-bot",
    ),
    HeadSpec(
        TROLL,
        "Coordinated human operator: office-hours shifts in any time zone, against the place the profile "
        "claims, amplification, campaign hashtags.",
        # Behaviour only: with no posts there is nothing to judge.
        min_posts=1,
        # python -m model.training.evaluate (docs/model.md): thin timelines are ranked, each band of
        # evidence calibrated and thresholded on its own; below 5 posts the label abstains.
        bands=(1, 5, 20, 50),
        label_min_posts=5,
        # A coordinated human operator: machine-published posts are the bot head's to judge.
        held_by=(AUTOMATED_POSTING, AUTOMATED_AMPLIFICATION),
        lifted_by=(OPERATOR_SHIFT,),
        explained_by=(OWN_ZONE_HOURS,),
        moderation_label="likely-troll",
    ),
    HeadSpec(
        HIJACKED,
        "Taken-over account: a break from its own history after a silence.",
        moderation_label="possibly-hijacked",
    ),
)
HEAD_NAMES = tuple(h.name for h in HEADS)


@dataclass(frozen=True)
class TypeSpec:
    """One kind of bot (the Bot Repository's and Botometer's grouping), scored for every account.

    Attributes:
        name: The type's name in ``bot_types``.
        description: One line for the response schema and docs.
        declared: Judged from what the account says of itself (``declared_bot``, a name or bio that calls
            it a bot), not trained: no labelled set of self-declared bots is shared.
    """

    name: str
    description: str
    declared: bool = False


BOT_TYPES: tuple[TypeSpec, ...] = (
    TypeSpec("astroturf", "Political bots pushing a cause or candidate (political-bots-2019)."),
    TypeSpec("fake_follower", "Bought followers (vendor-purchased-2019, cresci-2015 and -2017 fake followers)."),
    TypeSpec("financial", "Cashtag and stock promotion bots (cresci-stock-2018)."),
    TypeSpec("self_declared", "Says it is automated: the platform's bot flag, a handle, name or bio.", declared=True),
    TypeSpec("spammer", "Spam and porn bots (pronbots-2019, cresci-2017 social and traditional spambots)."),
    TypeSpec("other", "Other bots in hand-labelled sets (botometer-feedback-2019, gilani-2017, cresci-rtbust-2019)."),
)
TYPE_NAMES = tuple(t.name for t in BOT_TYPES)
TRAINED_TYPES = tuple(t.name for t in BOT_TYPES if not t.declared)
BY_NAME = {h.name: h for h in HEADS}
# The label when no head's score exceeds its threshold, and when the request carried too little to say.
HUMAN_LABEL = HUMAN
UNKNOWN_LABEL = "unknown"
LABELS = (*HEAD_NAMES, HUMAN_LABEL, UNKNOWN_LABEL)
# What an analyst can say an account is (feedback): a class, or human.
CLASS_LABELS = (*HEAD_NAMES, HUMAN_LABEL)
