"""From shared actions to coordinated groups: co-actions within a time window, a weighted account graph
discounted for popular actions, Leiden communities, and the evidence and reasons of each group."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.coordination.actions import BEHAVIOURS, ActionTable, Behaviour, accounts_per_key, combined

Progress = Callable[[str], None]


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


@dataclass(frozen=True, slots=True)
class CoActions:
    """Pairs of accounts (a < b) that did the same action within the window, one row per pair of events."""

    a: np.ndarray
    b: np.ndarray
    key: np.ndarray
    ta: np.ndarray
    tb: np.ndarray


@dataclass(frozen=True, slots=True)
class Edges:
    """Every co-acting pair: distinct shared actions, their popularity-discounted weight, and whether linked."""

    a: np.ndarray
    b: np.ndarray
    shared: np.ndarray
    weight: np.ndarray
    strong: np.ndarray

    def linked(self) -> Edges:
        """Only the pairs strong enough to link."""
        keep = self.strong
        return Edges(self.a[keep], self.b[keep], self.shared[keep], self.weight[keep], self.strong[keep])


@dataclass
class Group:
    """A coordinated group: member indices, score, evidence per behaviour, and reasons in words."""

    members: list[int]
    score: float
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class Coordination:
    """Per account: score in [0, 1] and group index (-1 for none); the groups, strongest first."""

    scores: np.ndarray
    group_of: np.ndarray
    groups: list[Group]
    edges: Edges


# Events per slice of the pair search. Slices end where an action's events end, so no pair spans two;
# each slice's distinct pairs are found on their own and only the distinct ones are kept.
SLICE_EVENTS = 2_000_000


def _slices(table: ActionTable, max_lag: int, budget: int, size: int | None = None) -> Iterator[tuple[np.ndarray, ...]]:
    """The events sorted by action then time, in slices of about ``size`` that end where an action does.

    Yields:
        (action, time, account, lags to compare) per event of the slice.
    """
    size = size or SLICE_EVENTS
    order = np.lexsort((table.t, table.key))
    key, t, account = table.key[order], table.t[order], table.account[order]
    del order
    if key.size == 0:
        return
    events = np.bincount(key, minlength=len(table.labels))
    lags = np.clip(np.floor(max_lag * np.minimum(1.0, budget / np.maximum(events, 1))), 1, max_lag).astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    at = np.searchsorted(starts, np.arange(size, key.size, size))
    cuts = [0, *np.unique(starts[at[at < starts.size]]).tolist(), key.size]
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        if hi > lo:
            part = key[lo:hi]
            yield part, t[lo:hi], account[lo:hi], lags[part]


def _lagged_slice(
    key: np.ndarray, t: np.ndarray, account: np.ndarray, lag_of: np.ndarray, window: float, max_lag: int
) -> Iterator[tuple[np.ndarray, ...]]:
    """Per lag, the pairs of one slice's events on the same action by different accounts within the window."""
    for lag in range(1, max_lag + 1):
        if lag >= key.size:
            return
        close = (key[lag:] == key[:-lag]) & (t[lag:] - t[:-lag] <= window)
        if not close.any():
            return
        close &= lag_of[:-lag] >= lag
        first = np.flatnonzero(close)
        second = first + lag
        other = account[first] != account[second]
        first, second = first[other], second[other]
        swap = account[first] > account[second]
        lo = np.where(swap, second, first)
        hi = np.where(swap, first, second)
        yield account[lo], account[hi], key[first], t[lo], t[hi]


def _lagged(table: ActionTable, window: float, max_lag: int, budget: int) -> Iterator[tuple[np.ndarray, ...]]:
    """Per slice and lag, the pairs of events on the same action by different accounts at most ``window`` apart.

    Events are sorted by action then time; comparing each with its next ``lag`` neighbours finds all
    pairs within the window, and the loop stops at the first lag where no pair is that close. An
    action done more than ``budget`` times compares each event with proportionally fewer neighbours
    (at least the next one): a post reposted two million times would otherwise give hundreds of
    millions of pairs, each of which weighs almost nothing, while neighbours in time still chain its
    burst together.

    Yields:
        (account of the lower index, account of the higher, action, their two times).
    """
    for key, t, account, lag_of in _slices(table, max_lag, budget):
        yield from _lagged_slice(key, t, account, lag_of, window, max_lag)


def co_actions(table: ActionTable, window: float, max_lag: int, budget: int) -> CoActions:
    """Every pair of events on the same action by different accounts at most ``window`` seconds apart."""
    rows = list(_lagged(table, window, max_lag, budget))
    if not rows:
        empty_i, empty_f = np.empty(0, np.int32), np.empty(0, np.float64)
        return CoActions(empty_i, empty_i, np.empty(0, np.int64), empty_f, empty_f)
    a, b, k, ta, tb = (np.concatenate(column) for column in zip(*rows))
    return CoActions(a, b, k, ta, tb)


def shared_pairs(table: ActionTable, window: float, max_lag: int, budget: int) -> np.ndarray:
    """The distinct (pair of accounts, action) co-actions as one int64 each: pair * actions + action, sorted.

    Kept distinct as they come (8 bytes each instead of an event pair's 32), slice by slice of the
    actions: slices share no action, so their distinct codes are distinct overall and one sort at the
    end orders them.
    """
    n, keys = max(table.n_accounts, 1), max(len(table.labels), 1)
    kept: list[np.ndarray] = []
    for key, t, account, lag_of in _slices(table, max_lag, budget):
        found = [
            combined(combined(a, b, n), k, keys)
            for a, b, k, _, _ in _lagged_slice(key, t, account, lag_of, window, max_lag)
        ]
        if found:
            kept.append(np.unique(np.concatenate(found)))
    if not kept:
        return np.empty(0, np.int64)
    distinct = np.concatenate(kept)
    del kept
    distinct.sort()
    return distinct


def distinct_rows(*columns: np.ndarray) -> int:
    """How many distinct rows the equal-length columns hold."""
    if columns[0].size == 0:
        return 0
    order = np.lexsort(columns)
    changed = np.zeros(order.size, dtype=bool)
    changed[0] = True
    for column in columns:
        ordered = column[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    return int(changed.sum())


def key_accounts(table: ActionTable) -> np.ndarray:
    """How many distinct accounts did each action."""
    return accounts_per_key(table.key, table.account, table.n_accounts, len(table.labels))


def links(shared: np.ndarray, weight: np.ndarray, settings: Settings) -> np.ndarray:
    """Which co-acting pairs are linked: enough distinct shared actions, and enough weight."""
    return (shared >= settings.min_shared) & (weight >= settings.min_weight)


def build_edges(distinct: np.ndarray, table: ActionTable, settings: Settings) -> Edges:
    """Every pair that co-acted, with its distinct shared actions and their weight; ``strong`` marks links.

    Args:
        distinct: ``shared_pairs``' output.
        table: The action table it came from.
        settings: The link thresholds.

    Each shared action weighs log(1 + accounts / accounts that did it): a post a tenth of the batch
    reposted counts for little, one that only a handful did counts for much.
    """
    n = max(table.n_accounts, 1)
    idf = np.log1p(n / np.maximum(key_accounts(table), 1))
    keys = max(len(table.labels), 1)
    # ``distinct`` is sorted and unique, so each pair's actions are one run: cut it at the pair changes
    # (np.unique would sort it again and hold an inverse index as large as the input).
    pair_of = distinct // keys
    starts = np.flatnonzero(np.concatenate(([True], pair_of[1:] != pair_of[:-1]))) if pair_of.size else pair_of
    pairs = pair_of[starts]
    counts = np.diff(np.append(starts, pair_of.size))
    del pair_of
    weight = np.add.reduceat(idf[distinct % keys], starts) if starts.size else np.empty(0)
    return Edges(
        a=(pairs // n).astype(np.int32),
        b=(pairs % n).astype(np.int32),
        shared=counts,
        weight=weight,
        strong=links(counts, weight, settings),
    )


def communities(n_accounts: int, edges: Edges, seed: int, resolution: float = 1.0) -> np.ndarray:
    """Leiden communities (modularity, weighted) of the linked accounts; -1 for accounts with no edge."""
    import igraph

    labels = np.full(n_accounts, -1, dtype=np.int64)
    if edges.a.size == 0:
        return labels
    linked, local = np.unique(np.concatenate([edges.a, edges.b]), return_inverse=True)
    graph = igraph.Graph(n=linked.size, edges=local.reshape(2, -1).T.tolist())
    graph.es["weight"] = edges.weight.tolist()
    # igraph draws from Python's random module: a seeded generator of our own makes runs repeatable.
    igraph.set_random_number_generator(random.Random(seed))
    try:
        partition = graph.community_leiden(
            objective_function="modularity", weights="weight", n_iterations=-1, resolution=resolution
        )
    finally:
        igraph.set_random_number_generator(random)
    labels[linked] = np.asarray(partition.membership, dtype=np.int64)
    return labels


def coordinate(table: ActionTable, settings: Settings, progress: Progress | None = None) -> Coordination:
    """Finds coordinated groups in a batch's action table.

    Args:
        table: The batch's shared actions (``ActionCollector``).
        settings: Window, group size and thresholds.
        progress: Told each step's name as it starts (long inputs).

    Returns:
        Scores and groups. An account's score is 0.5 + s / 2 inside a group and s / 2 outside, where
        s = 1 - exp(-weight / scale) sums its links (pairs below the link thresholds count 0.3): above
        0.5 means "in a coordinated group", and within each half more shared actions rank higher.
    """
    say = progress or (lambda _: None)
    say("co-actions")
    distinct = shared_pairs(table, settings.window_seconds, settings.max_lag, settings.burst)
    say("graph")
    pairs = build_edges(distinct, table, settings)
    del distinct
    say("communities")
    labels, scores = group_pairs(table.n_accounts, pairs, settings)
    say("evidence")
    groups = _groups(labels, scores, table, settings)
    group_of = np.full(table.n_accounts, -1, dtype=np.int64)
    for index, group in enumerate(groups):
        group_of[group.members] = index
    return Coordination(scores=scores, group_of=group_of, groups=groups, edges=pairs.linked())


def _grouped(labels: np.ndarray, min_size: int) -> np.ndarray:
    """Whether each account is in a group of at least ``min_size``."""
    if not (labels >= 0).any():
        return np.zeros(labels.size, dtype=bool)
    sizes = np.bincount(labels[labels >= 0])
    return (labels >= 0) & (sizes[np.maximum(labels, 0)] >= min_size)


def group_pairs(n_accounts: int, pairs: Edges, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The grouping step on an edge list (single machine or Spark's): group label per account and scores.

    Returns:
        (label per account, -1 outside the groups; score per account).
    """
    links = pairs.linked()
    labels = communities(n_accounts, links, settings.seed, settings.resolution)
    labels = _dense_enough(labels, links, settings)
    labels = _attached(labels, pairs, settings.attach, settings.attach_weight)
    weight = np.where(pairs.strong, pairs.weight, 0.3 * pairs.weight)
    strength = np.bincount(pairs.a, weights=weight, minlength=n_accounts) + np.bincount(
        pairs.b, weights=weight, minlength=n_accounts
    )
    half = (1.0 - np.exp(-strength / settings.scale)) / 2
    return labels, np.where(labels >= 0, 0.5 + half, half)


def _dense_enough(labels: np.ndarray, links: Edges, settings: Settings) -> np.ndarray:
    """Communities of at least min_group_size members whose linked share of member pairs reaches min_density."""
    out = np.full_like(labels, -1)
    inside = (labels[links.a] >= 0) & (labels[links.a] == labels[links.b])
    links_per = np.bincount(labels[links.a][inside], minlength=int(labels.max()) + 1 if labels.size else 0)
    sizes = np.bincount(labels[labels >= 0], minlength=links_per.size)
    for label in np.flatnonzero(sizes >= settings.min_group_size):
        k = sizes[label]
        if links_per[label] / (k * (k - 1) / 2) >= settings.min_density:
            out[labels == label] = label
    return out


def _attached(labels: np.ndarray, pairs: Edges, attach: int, min_weight: float = 0.0) -> np.ndarray:
    """Accounts outside the groups join the group with which they co-acted through >= ``attach`` members,
    counting only pairs whose shared actions weigh at least ``min_weight``."""
    if attach <= 0 or pairs.a.size == 0 or not (labels >= 0).any():
        return labels
    # Only the pairs that touch a group and weigh enough (all co-acting pairs of a large batch are many).
    a, b = pairs.a, pairs.b
    touching = ((labels[a] >= 0) | (labels[b] >= 0)) & (pairs.weight >= min_weight)
    a, b = a[touching], b[touching]
    ga, gb = labels[a], labels[b]
    outsider = np.concatenate([a[(ga < 0) & (gb >= 0)], b[(gb < 0) & (ga >= 0)]]).astype(np.int64)
    group = np.concatenate([gb[(ga < 0) & (gb >= 0)], ga[(gb < 0) & (ga >= 0)]]).astype(np.int64)
    if outsider.size == 0:
        return labels
    span = int(labels.max()) + 1
    combos, counts = np.unique(outsider * span + group, return_counts=True)
    enough = counts >= attach
    who, where, how_many = combos[enough] // span, combos[enough] % span, counts[enough]
    # Each outsider joins the group it reaches through the most members (ties: the lower group id).
    order = np.lexsort((where, -how_many, who))
    who, where = who[order], where[order]
    first = np.unique(who, return_index=True)[1]
    out = labels.copy()
    out[who[first]] = where[first]
    return out


def _groups(labels: np.ndarray, scores: np.ndarray, table: ActionTable, settings: Settings) -> list[Group]:
    """The groups, strongest first, each with its evidence.

    The event pairs are found again group by group among its members' own actions: only pairs inside
    a group are evidence, and one group's pairs at a time is what memory holds (all of them at once
    was the peak at 100,000 accounts).
    """
    found: list[Group] = []
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == label)
        found.append(Group(members=members.tolist(), score=float(np.mean(scores[members]))))
    found.sort(key=lambda g: (-g.score, -len(g.members), g.members[0]))
    if not found:
        return found
    member_group = np.full(table.n_accounts, -1, dtype=np.int64)
    for index, group in enumerate(found):
        member_group[group.members] = index
    of_action = member_group[table.account]
    of_minute = member_group[table.active_account]
    first, last = table.first_at, table.last_at
    for index, group in enumerate(found):
        mine = of_action == index
        own = ActionTable(
            table.account[mine],
            table.key[mine],
            table.t[mine],
            table.labels,
            table.behaviour,
            table.n_accounts,
            first,
            last,
        )
        co = co_actions(own, settings.window_seconds, settings.max_lag, settings.burst)
        # Members per action (any time), and how long the members are active: the chance baseline.
        members_per_key = key_accounts(own)
        active = float(np.median(last[group.members] - first[group.members]))
        group.evidence, group.reasons = _evidence(np.arange(co.a.size), co, table, members_per_key, active, settings)
        posting = of_minute == index
        synchronised = _synchronised(
            table.active_account[posting], table.active_minute[posting], table.active_posts[posting]
        )
        if synchronised is not None:
            # Kept in the order of the other evidence: most posts first (stable, so co-actions lead ties).
            evidence, reason = synchronised
            at = sum(1 for e in group.evidence if e["posts"] >= evidence["posts"])
            group.evidence.insert(at, evidence)
            group.reasons.insert(at, reason)
    return found


# Synchronised activity is evidence when a group's members post in the same minutes at least this much
# more often than chance, and share at least this many member-pair minutes.
SYNC_LIFT = 1.5
SYNC_MIN_PAIRS = 3
MINUTES_PER_DAY = 1440


def _synchronised(
    account: np.ndarray, minute: np.ndarray, posts: np.ndarray | None = None
) -> tuple[dict[str, Any], str] | None:
    """Whether a group's members post in the same minutes more often than chance, as evidence and a sentence.

    Args:
        account: Member of each row; one row per member and minute in which it posted.
        minute: The row's epoch minute.
        posts: How many posts the member made in that minute (one each when not given).

    Chance: each member's posting minutes of a day placed at random among that day's 1,440, so a pair
    active on the same day with k and l minutes meets k * l / 1,440 times by chance; summed over the
    days and member pairs. Members active on different days never meet by chance or otherwise.
    """
    from model.records import format_timestamp

    if minute.size < 2:
        return None
    order = np.lexsort((account, minute))
    account, minute = account[order], minute[order]
    posts = np.ones(minute.size, dtype=np.int64) if posts is None else np.asarray(posts)[order]
    starts = np.flatnonzero(np.concatenate(([True], minute[1:] != minute[:-1])))
    members = np.diff(np.append(starts, minute.size))
    observed = float((members * (members - 1) / 2).sum())
    if observed < SYNC_MIN_PAIRS:
        return None
    day = minute // MINUTES_PER_DAY
    day_member, per_day = np.unique(combined(day - day.min(), account, int(account.max()) + 1), return_counts=True)
    day_of = day_member // (int(account.max()) + 1)
    k = per_day.astype(np.float64)
    total = np.bincount(day_of, weights=k)
    squares = np.bincount(day_of, weights=k * k)
    chance = float(((total * total - squares) / 2).sum()) / MINUTES_PER_DAY
    lift = observed / chance if chance > 0 else math.inf
    if lift < SYNC_LIFT:
        return None
    shared = members >= 2
    in_shared = np.repeat(shared, members)
    busiest = int(np.argmax(members))
    at = format_timestamp(float(minute[starts[busiest]]) * 60.0)
    evidence = {
        "behaviour": BEHAVIOURS[Behaviour.synchronised_activity],
        "shared": f"posting in the same minutes (busiest: {int(members[busiest])} members at {at})",
        "accounts": int(np.unique(account[in_shared]).size),
        "posts": int(posts[in_shared].sum()),
        "window_seconds": 60.0,
        "first_at": format_timestamp(float(minute[in_shared].min()) * 60.0),
        "last_at": format_timestamp(float(minute[in_shared].max()) * 60.0),
    }
    times = f"{lift:.0f} times" if lift >= 2 else f"{lift:.1f} times"
    reason = (
        f"{evidence['accounts']} accounts posted in the same minute as another member in {int(shared.sum())} "
        f"minutes, {times} more often than chance for accounts active on the same days"
    )
    return evidence, reason


def _duration(seconds: float) -> str:
    """60 -> "60 seconds", 3600 -> "an hour", 7200 -> "2 hours", 600 -> "10 minutes"."""
    for size, one, many in ((86400, "a day", "days"), (3600, "an hour", "hours"), (60, "a minute", "minutes")):
        if seconds >= size and seconds % size == 0 and not (size == 60 and seconds < 600):
            count = int(seconds // size)
            return one if count == 1 else f"{count} {many}"
    return f"{seconds:g} second{'' if seconds == 1 else 's'}"


_WORDS = {
    Behaviour.co_retweet: ("reposted the same", "post", "posts"),
    Behaviour.co_quote: ("quoted the same", "post", "posts"),
    Behaviour.co_reply: ("replied to the same", "post", "posts"),
    Behaviour.co_hashtag: ("used the same", "hashtag", "hashtags"),
    Behaviour.co_link: ("shared the same", "link", "links"),
    Behaviour.near_duplicate_text: ("posted the same", "text (near-duplicates)", "texts (near-duplicates)"),
}


def _evidence(
    rows: np.ndarray,
    co: CoActions,
    table: ActionTable,
    members_per_key: np.ndarray,
    active: float,
    settings: Settings,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Per behaviour: what the group shared, how many accounts and posts, when; and a sentence saying so.

    "Times more often than chance" compares the member pairs that did an action within the window with
    what the same pairs would give if each acted at a random moment of the members' active period
    (median first-to-last span): a pair meets within w by chance with probability 2w / span.
    """
    from model.records import format_timestamp

    window = settings.window_seconds
    evidence: list[dict[str, Any]] = []
    reasons: list[str] = []
    behaviour_of_row = table.behaviour[co.key[rows]]
    for behaviour in Behaviour:
        picked = rows[behaviour_of_row == behaviour]
        if picked.size == 0:
            continue
        a, b, key = co.a[picked], co.b[picked], co.key[picked]
        ta, tb = co.ta[picked], co.tb[picked]
        accounts = np.unique(np.concatenate([a, b]))
        events = distinct_rows(np.concatenate([a, b]), np.concatenate([key, key]), np.concatenate([ta, tb]))
        keys, key_rows = np.unique(key, return_counts=True)
        # The action most of the group's pairs shared is the one shown; among equals the first by its label
        # (key numbers follow hashes, which differ between processes).
        top = min(keys[key_rows == key_rows.max()].tolist(), key=lambda k: table.labels[k])
        observed = distinct_rows(combined(a, b, table.n_accounts), key)
        m = members_per_key[keys].astype(float)
        chance = float((m * (m - 1) / 2).sum()) * min(1.0, 2 * window / max(active, window))
        lift = observed / chance if chance > 0 else math.inf
        evidence.append(
            {
                "behaviour": BEHAVIOURS[behaviour],
                "shared": table.labels[top],
                "accounts": int(accounts.size),
                "posts": events,
                "window_seconds": window,
                "first_at": format_timestamp(float(min(ta.min(), tb.min()))),
                "last_at": format_timestamp(float(max(ta.max(), tb.max()))),
            }
        )
        verb, one, many = _WORDS[behaviour]
        times = f"{lift:.0f} times more often than chance" if lift >= 1.5 else "no more often than chance"
        reasons.append(
            f"{accounts.size} accounts {verb} {keys.size} {one if keys.size == 1 else many} within "
            f"{_duration(window)} of each other, {times}"
        )
    order = sorted(range(len(evidence)), key=lambda i: -evidence[i]["posts"])
    return [evidence[i] for i in order], [reasons[i] for i in order]
