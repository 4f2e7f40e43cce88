"""Exact path-dependent TreeSHAP for LightGBM boosters, vectorised over leaves with numpy.

LightGBM's ``pred_contrib`` runs the TreeSHAP recursion tree by tree for every row, which made
explanations the most expensive step of scoring. The same values can be computed leaf by leaf:
a leaf's share of the Shapley values depends on the row only through which of its path's
features (at most the tree depth) the row agrees with, a bit mask of at most ``2**depth``
patterns. This module precomputes, for every leaf and every pattern, the leaf's contribution to
each of its path features, so explaining a row is a few array operations over all leaves:
compare the row with each leaf's intervals, form the masks, look the contributions up and add
them per feature. The results equal LightGBM's (a test compares them, and their sum with the
base value equals the raw score); trees with splits it does not support are refused, and the
caller then falls back to LightGBM.

Reference: Lundberg, Erion and Lee, "Consistent individualized feature attribution for tree
ensembles" (2018), Algorithm 2; the per-leaf form is the one of Yang, "Fast TreeSHAP" (2021).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

CHUNK_ROWS = 32
# LightGBM reads dense rows sparsely: a value within this of zero (its kZeroThreshold, 1e-35f) is 0.0.
ZERO_THRESHOLD = 1.0000000180025095e-35


class UnsupportedTree(ValueError):
    """A split this implementation does not reproduce exactly (categorical, zero-as-missing)."""


# LightGBM's decision_type bits: categorical split, then (two bits from the third) the missing-value type.
_CATEGORICAL, _MISSING_SHIFT, _MISSING_ZERO = 1, 2, 1


def _leaves(booster: Any) -> list[tuple[float, list[tuple[int, float, bool, float]]]]:
    """Every leaf's value and its path of (feature, threshold, went_left, cover fraction), tree by tree.

    Read from the model's text form (LightGBM's own, round-trip exact), which is ten times quicker to
    get and parse than ``dump_model``'s JSON.

    Raises:
        UnsupportedTree: categorical or zero-as-missing splits, or linear trees.
    """
    text = booster.model_to_string().split("\nend of trees", 1)[0]
    leaves: list[tuple[float, list[tuple[int, float, bool, float]]]] = []
    for block in text.split("\nTree=")[1:]:
        fields = dict(line.split("=", 1) for line in block.splitlines()[1:] if "=" in line)
        if fields.get("is_linear", "0") != "0":
            raise UnsupportedTree("linear trees are not supported")
        values = [float(v) for v in fields["leaf_value"].split()]
        if int(fields["num_leaves"]) == 1:
            leaves.append((values[0], []))
            continue

        def ints(name: str) -> list[int]:
            return [int(v) for v in fields[name].split()]

        kinds = ints("decision_type")
        if any(k & _CATEGORICAL or (k >> _MISSING_SHIFT) & 3 == _MISSING_ZERO for k in kinds):
            raise UnsupportedTree("categorical and zero-as-missing splits are not supported")
        feature, left, right = ints("split_feature"), ints("left_child"), ints("right_child")
        threshold = [float(v) for v in fields["threshold"].split()]
        internal, leaf_count = ints("internal_count"), ints("leaf_count")

        def walk(node: int, path: list[tuple[int, float, bool, float]]) -> None:
            if node < 0:  # Leaves are numbered ~index.
                leaves.append((values[~node], list(path)))
                return
            for child, went_left in ((left[node], True), (right[node], False)):
                count = internal[child] if child >= 0 else leaf_count[~child]
                path.append((feature[node], threshold[node], went_left, count / internal[node]))
                walk(child, path)
                path.pop()

        walk(0, [])
    return leaves


def _shapley_table(z: np.ndarray, depth: int) -> np.ndarray:
    """Per leaf, per pattern of agreed path features, each path feature's share of the leaf value.

    For a leaf whose path tests the d features F, with cover fractions z (the share of training
    data that follows the path at that feature's splits) and agreement bits o (does the row follow
    it), path-dependent TreeSHAP gives feature i the Shapley value of the product game:
    sum over S subset of F - {i} of |S|! (d - |S| - 1)! / d! * prod(o_j, j in S) * prod(z_j, j not
    in S, j != i) * (o_i - z_i). The products of z over every subset are formed once per leaf, and
    the subset sums are one fixed linear map of them (a matrix product).

    Args:
        z: (leaves, d) cover fractions of the d path features of leaves that all have d of them.
        depth: Pattern width; bits above d are ignored.

    Returns:
        (leaves, 2**depth, d) weights; times the leaf value they are the contributions.
    """
    leaves, d = z.shape
    prod = np.ones((leaves, 2**d))
    for subset in range(1, 2**d):
        low = (subset & -subset).bit_length() - 1
        prod[:, subset] = prod[:, subset & (subset - 1)] * z[:, low]
    weight = [math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d) for s in range(d)]
    coef = np.zeros((2**d, 2**depth, d))
    full = 2**d - 1
    for mask in range(2**depth):
        agreed = mask & full
        for i in range(d):
            others = full & ~(1 << i)
            # Coalitions S of features the row agrees with (a disagreeing one never reaches the leaf).
            subset = agreed & others
            while True:
                coef[others & ~subset, mask, i] += weight[bin(subset).count("1")]
                if subset == 0:
                    break
                subset = (subset - 1) & agreed & others
    sums = (prod @ coef.reshape(2**d, -1)).reshape(leaves, 2**depth, d)
    agree = (np.arange(2**depth)[:, None] >> np.arange(d)) & 1
    return sums * (agree[None, :, :] - z[:, None, :])


class TreeExplainer:
    """Exact TreeSHAP contributions of one LightGBM booster, in ``pred_contrib``'s layout."""

    def __init__(self, booster: Any) -> None:
        """Precomputes the leaf tables.

        Raises:
            UnsupportedTree: the booster has a split type this implementation does not reproduce.
        """
        if booster.num_model_per_iteration() != 1:
            raise UnsupportedTree("multiclass boosters are not supported")
        self.n_features = int(booster.num_feature())
        leaves = _leaves(booster)
        depth = max([len({f for f, *_ in path}) for _, path in leaves] + [1])
        if depth > 8:
            raise UnsupportedTree(f"paths test up to {depth} features; at most 8 are supported")
        n = len(leaves)
        feature = np.zeros((n, depth), dtype=np.intp)
        lo = np.full((n, depth), -np.inf)
        hi = np.full((n, depth), np.inf)
        z = np.ones((n, depth))
        sizes = np.zeros(n, dtype=np.intp)
        values = np.array([v for v, _ in leaves])
        # Leaves share their tests: each distinct (feature, interval) is compared with a row once. The
        # last test, "never", fills the slots past a leaf's depth, so their bits stay 0.
        tests: dict[tuple[int, float, float], int] = {}
        slot_test = np.zeros((n, depth), dtype=np.intp)
        for k, (_, path) in enumerate(leaves):
            slots: dict[int, int] = {}
            for f, threshold, left, fraction in path:
                j = slots.setdefault(f, len(slots))
                feature[k, j] = f
                # A feature split twice on the path: the row must agree with both (an interval).
                if left:
                    hi[k, j] = min(hi[k, j], threshold)
                else:
                    lo[k, j] = max(lo[k, j], threshold)
                z[k, j] *= fraction
            sizes[k] = len(slots)
            for j, f in enumerate(slots):
                slot_test[k, j] = tests.setdefault((f, float(lo[k, j]), float(hi[k, j])), len(tests))
        never = len(tests)
        slot_test[np.arange(depth)[None, :] >= sizes[:, None]] = never
        table = np.zeros((n, 2**depth, depth))
        for d in range(1, depth + 1):
            rows = np.flatnonzero(sizes == d)
            if rows.size:
                table[rows, :, :d] = _shapley_table(z[rows, :d], depth) * values[rows, None, None]
        # The expected value: every leaf weighted by the share of training data reaching it.
        self.base_value = float((values * np.prod(z, axis=1)).sum())
        test_table = np.array([*tests, (0, np.inf, np.inf)], dtype=np.float64).reshape(-1, 3)
        self._test_feature = test_table[:, 0].astype(np.intp)
        self._test_lo, self._test_hi = test_table[:, 1].copy(), test_table[:, 2].copy()
        # A leaf's test outcomes are `width` consecutive bytes of 0/1: read as one unsigned integer and
        # multiplied by a magic constant, its top byte is the bit pattern (no carries: each byte sum < 256).
        width = 4 if depth <= 4 else 8
        padded = np.full((n, width), never, dtype=np.intp)
        padded[:, :depth] = slot_test
        self._slot_tests = padded.ravel()
        self._word = np.dtype(f"<u{width}")
        self._magic = self._word.type(int.from_bytes(bytes(1 << (width - 1 - k) for k in range(width)), "little"))
        self._shift = self._word.type(8 * (width - 1))
        self._offset = np.arange(n, dtype=np.intp) * 2**depth
        # One table row (a leaf's contributions for one pattern) is one element, so a lookup is one take.
        self._rows = (
            np.ascontiguousarray(table.reshape(n * 2**depth, depth)).view(np.dtype((np.void, 8 * depth))).ravel()
        )
        # Where each looked-up contribution goes in a chunk's flattened (rows, features + 1) output.
        span = self.n_features + 1
        self._index = (np.arange(CHUNK_ROWS, dtype=np.intp)[:, None] * span + feature.ravel()).ravel()

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """Per row, each feature's contribution to the raw score and, last, the base value.

        Args:
            X: (rows, features) float64, finite (the feature contract has no NaN).
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected (rows, {self.n_features}) features, got {X.shape}")
        out = np.empty((X.shape[0], self.n_features + 1))
        # Chunks of rows keep the (rows x leaves) intermediates in cache.
        for start in range(0, X.shape[0], CHUNK_ROWS):
            out[start : start + CHUNK_ROWS] = self._chunk(X[start : start + CHUNK_ROWS])
        return out

    def _chunk(self, X: np.ndarray) -> np.ndarray:
        rows = X.shape[0]
        values = X[:, self._test_feature]
        values[np.abs(values) <= ZERO_THRESHOLD] = 0.0
        passed = ((values > self._test_lo) & (values <= self._test_hi)).view(np.uint8)
        words = passed.take(self._slot_tests, axis=1).view(self._word)
        masks = (words * self._magic) >> self._shift
        parts = self._rows.take(masks.astype(np.intp) + self._offset).view(np.float64)
        span = self.n_features + 1
        out = np.bincount(self._index[: parts.size], weights=parts.ravel(), minlength=rows * span).reshape(rows, span)
        out[:, -1] = self.base_value
        return out
