"""Coordinated groups in a batch's action table: the pair search, the graph, the groups and their evidence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from model.coordination.actions import ActionTable
from model.coordination.evidence import Group, groups_with_evidence
from model.coordination.graph import Edges, build_edges, group_pairs, shared_pairs
from model.coordination.settings import Settings

Progress = Callable[[str], None]


@dataclass
class Coordination:
    """Per account: score in [0, 1] and group index (-1 for none); the groups, strongest first."""

    scores: np.ndarray
    group_of: np.ndarray
    groups: list[Group]
    edges: Edges


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
    groups = groups_with_evidence(labels, scores, table, settings)
    group_of = np.full(table.n_accounts, -1, dtype=np.int64)
    for index, group in enumerate(groups):
        group_of[group.members] = index
    return Coordination(scores=scores, group_of=group_of, groups=groups, edges=pairs.linked())
