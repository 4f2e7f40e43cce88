"""From shared actions to groups: co-actions within a time window, a weighted account graph discounted
for popular actions, and Leiden communities dense enough to be groups."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from model.coordination.actions import ActionTable, accounts_per_key, combined
from model.coordination.settings import Settings


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
