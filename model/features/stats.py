"""Small statistics over counts shared by the feature families: entropy, divergence, run lengths."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from model.features.table import MISSING


def entropy_bits(counts: Iterable[int]) -> float:
    arr = np.fromiter(counts, dtype=float)
    total = arr.sum()
    if total <= 0:
        return 0.0
    p = arr[arr > 0] / total
    return float(-(p * np.log2(p)).sum())


def js_divergence(a: Counter, b: Counter) -> float:
    """Jensen-Shannon divergence (base 2, in [0, 1]) of two count histograms; MISSING if either is empty."""
    keys = list(a.keys() | b.keys())
    return js_arrays(
        np.fromiter(map(a.__getitem__, keys), dtype=float, count=len(keys)),
        np.fromiter(map(b.__getitem__, keys), dtype=float, count=len(keys)),
    )


def js_arrays(counts_a: np.ndarray, counts_b: np.ndarray) -> float:
    """``js_divergence`` of two aligned count vectors."""
    ta, tb = float(counts_a.sum()), float(counts_b.sum())
    if ta == 0 or tb == 0:
        return MISSING
    p = counts_a / ta
    q = counts_b / tb
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        mask = x > 0
        return float((x[mask] * np.log2(x[mask] / m[mask])).sum())

    return float(min(1.0, max(0.0, (kl(p) + kl(q)) / 2)))


def counts(values: list[str], skip_blank: bool = False) -> Counter:
    """How often each value occurs (blank ones left out when ``skip_blank``)."""
    counts = Counter(values)
    if skip_blank:
        counts.pop("", None)
    return counts


def run_lengths(ordered: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal values in a sorted array (the counts np.unique would give)."""
    bounds = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
    return np.diff(np.concatenate(([0], bounds, [ordered.size])))
