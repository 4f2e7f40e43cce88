"""How coordination is judged: one set of settings for the route, the CLI and Spark."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    """How coordination is judged; the defaults were chosen on the evaluation in docs/coordination.md.

    Attributes:
        window_seconds: Two accounts co-act when they do the same thing at most this far apart.
        min_group_size: Smaller communities are not reported as groups.
        min_shared: Distinct actions a pair must share within the window to be linked: one shared viral
            post is what independent fans do.
        min_weight: And their popularity-discounted weight (each action weighs log(1 + accounts /
            accounts that did it)): two posts that a tenth of the batch reposted do not link a pair, two
            that a handful did do.
        min_density: Share of a community's member pairs that must be linked for it to be a group (5%):
            operations co-act member with member; organic communities (people live-tweeting the same
            events) are chains of pairs.
        attach: An account outside the groups joins the group it co-acted with through at least this many
            members.
        attach_weight: Only pairs whose shared actions weigh at least this much (half a link) count for
            ``attach``. Counting any co-action, chance meetings on popular actions attached nearly everyone
            to the large groups of big batches (20,000 synthetic accounts: 19,678 grouped, 5% of them ring
            members; with this floor 1,021, all of them ring members).
        resolution: Leiden's modularity resolution (below 1: fewer, larger communities).
        max_lag: Per action, each event is compared with this many later events (bounds the work of a
            burst on a very popular action; neighbours in time still link the whole burst).
        burst: An action done more than this many times compares each event with proportionally fewer
            later events (at least one), so that it yields at most about ``max_lag * burst`` pairs.
        scale: Link weight at which the score's half reaches 1 - 1/e.
        seed: Leiden's random seed (results are reproducible).
    """

    window_seconds: float = 3600.0
    min_group_size: int = 3
    min_shared: int = 2
    min_weight: float = 10.0
    min_density: float = 0.05
    attach: int = 2
    attach_weight: float = 5.0
    resolution: float = 0.25
    max_lag: int = 200
    # The evaluation's figures are the same at 20,000, 2,000 and 500; at 20,000 accounts x 200 posts the
    # pair search peaked at 3.1 GB with 20,000 and 1.1 GB with 2,000 (docs/coordination.md).
    burst: int = 2_000
    scale: float = 20.0
    seed: int = 0
