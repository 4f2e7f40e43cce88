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
class PostEvidence:
    """What an account's posts say outright: ``share`` or more of at least ``min_posts`` posts have ``feature``.

    Attributes:
        name: The rule's entry in explanations (not a model feature).
        feature: A share feature of ``model.features`` (0 to 1).
        share: The least share that counts.
        min_posts: The fewest posts that count.
        says: What the posts did, for reasons and warnings ("came through ...").
    """

    name: str
    feature: str
    share: float
    min_posts: int
    says: str

    def holds(self, value: float, n_posts: int) -> bool:
        """Whether the evidence holds for an account with this feature value and number of posts."""
        return n_posts >= self.min_posts and value >= self.share


# Posts published through scheduling and automation tools (model/clients.py) are machine-published,
# whoever runs the account. In the data: 364 of 1,207 cresci-2017 bots with 20+ posts and 2 of 756
# humans post 90%+ through them; no IRA timeline carries a client, so neither head could learn it.
AUTOMATED_POSTING = PostEvidence(
    "automated_posting",
    "automation_share",
    0.9,
    20,
    "came through scheduling and automation tools",
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
            at or below its neutral value (``min_posts``' point), and the label never names the head.
        min_posts: Below this many posts (profile-only included) the head makes no claim: its score is
            held at its neutral value (the calibrated base value, or where that is above the threshold
            the highest calibrated value not above it), as an explanation entry of its own, with a
            warning; the label never names the head.
    """

    name: str
    description: str
    declared_by: str | None = None
    min_posts: int = 0
    lifted_by: PostEvidence | None = None
    held_by: PostEvidence | None = None

    @property
    def has_rules(self) -> bool:
        """Whether any rule of the head can add an explanation entry."""
        return bool(self.min_posts or self.declared_by or self.lifted_by or self.held_by)


HEADS: tuple[HeadSpec, ...] = (
    HeadSpec(
        BOT,
        "Automated account: scheduling or automation clients, machine timing, volume, default profiles.",
        declared_by="declared_bot",
        lifted_by=AUTOMATED_POSTING,
    ),
    HeadSpec(
        TROLL,
        "Coordinated human operator: office-hours shifts, amplification, campaign hashtags.",
        # python -m model.training.evaluate --evidence (docs/model.md): below 50 posts 3-12% of test humans
        # score above the troll threshold set for 1% on whole timelines; from 50, 3.3%, AUC 0.998.
        min_posts=50,
        # A coordinated human operator: machine-published posts are the bot head's to judge.
        held_by=AUTOMATED_POSTING,
    ),
    HeadSpec(HIJACKED, "Taken-over account: a break from its own history after a silence."),
)
HEAD_NAMES = tuple(h.name for h in HEADS)
BY_NAME = {h.name: h for h in HEADS}
# The label when no head's score exceeds its threshold.
HUMAN_LABEL = HUMAN
LABELS = (*HEAD_NAMES, HUMAN_LABEL)
