"""Evaluation metrics for binary heads: ranking, operating points and calibration."""

from __future__ import annotations

import numpy as np


def _both_classes(y: np.ndarray) -> bool:
    return 0 < int(np.sum(y)) < len(y)


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC; NaN when a class is absent."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s)) if _both_classes(y) else float("nan")


def pr_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Average precision (area under the precision-recall curve); NaN when a class is absent."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, s)) if _both_classes(y) else float("nan")


def recall_at_fpr(y: np.ndarray, s: np.ndarray, fpr: float) -> float:
    """Share of positives scored above the score that only ``fpr`` of negatives exceed."""
    if not _both_classes(y):
        return float("nan")
    negatives = np.sort(s[y == 0])
    cut = negatives[min(len(negatives) - 1, int(np.floor((1 - fpr) * len(negatives))))]
    return float(np.mean(s[y == 1] > cut))


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Equal-width reliability bins: mean predicted probability, observed positive rate and count."""
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            out.append(
                {
                    "lo": float(edges[b]),
                    "hi": float(edges[b + 1]),
                    "mean_predicted": float(p[mask].mean()),
                    "observed": float(y[mask].mean()),
                    "n": int(mask.sum()),
                }
            )
    return out


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width bins (weighted by bin size)."""
    if len(y) == 0:
        return float("nan")
    return float(sum(b["n"] * abs(b["mean_predicted"] - b["observed"]) for b in reliability(y, p, bins)) / len(y))


def summary(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Every metric the evaluation reports for one head on one set of accounts."""
    return {
        "n": int(len(y)),
        "positives": int(np.sum(y)),
        "roc_auc": roc_auc(y, p),
        "pr_auc": pr_auc(y, p),
        "recall_at_1pct_fpr": recall_at_fpr(y, p, 0.01),
        "recall_at_5pct_fpr": recall_at_fpr(y, p, 0.05),
        "ece": ece(y, p),
        # Scores as responses give them (six decimals): how finely the head ranks these accounts.
        "distinct_scores": int(np.unique(np.round(p, 6)).size),
    }
