"""What each group did, in evidence and words: shared actions against chance, and synchronised posting."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.coordination.actions import BEHAVIOURS, ActionTable, Behaviour, combined
from model.coordination.graph import CoActions, co_actions, distinct_rows, key_accounts
from model.coordination.settings import Settings
from model.records import format_timestamp


@dataclass
class Group:
    """A coordinated group: member indices, score, evidence per behaviour, and reasons in words."""

    members: list[int]
    score: float
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


def groups_with_evidence(labels: np.ndarray, scores: np.ndarray, table: ActionTable, settings: Settings) -> list[Group]:
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
        group.evidence, group.reasons = behaviour_evidence(
            np.arange(co.a.size), co, table, members_per_key, active, settings
        )
        posting = of_minute == index
        minutes = synchronised(table.active_account[posting], table.active_minute[posting], table.active_posts[posting])
        if minutes is not None:
            # Kept in the order of the other evidence: most posts first (stable, so co-actions lead ties).
            evidence, reason = minutes
            at = sum(1 for e in group.evidence if e["posts"] >= evidence["posts"])
            group.evidence.insert(at, evidence)
            group.reasons.insert(at, reason)
    return found


# Synchronised activity is evidence when a group's members post in the same minutes at least this much
# more often than chance, and share at least this many member-pair minutes.
SYNC_LIFT = 1.5


SYNC_MIN_PAIRS = 3


MINUTES_PER_DAY = 1440


def synchronised(
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


def duration(seconds: float) -> str:
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


def behaviour_evidence(
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
            f"{duration(window)} of each other, {times}"
        )
    order = sorted(range(len(evidence)), key=lambda i: -evidence[i]["posts"])
    return [evidence[i] for i in order], [reasons[i] for i in order]
