"""A head's trees as the scorer uses them: prepared once at load, then raw scores and exact contributions.

A head (or a bot type) is a LightGBM booster over its features, explained by the vectorised TreeSHAP
(``model.treeshap``) or, for trees it does not support, LightGBM's own ``pred_contrib``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from model.features import FEATURE_NAMES
from model.treeshap import TreeExplainer, UnsupportedTree

log = logging.getLogger(__name__)
# One thread per prediction: each gunicorn worker is one process per core, and OpenMP threads on top
# oversubscribe the cores (measured: several times slower per row inside a worker).
PREDICT_THREADS = 1


def prepare(model: dict[str, Any]) -> None:
    """Adds what scoring needs to a loaded head: its feature columns and its explainer."""
    model["columns"] = np.array([FEATURE_NAMES.index(f) for f in model["features"]], dtype=np.intp)
    model["explainer"] = _explainer(model["booster"], model["name"])


def raw(model: Mapping[str, Any], X: np.ndarray) -> np.ndarray:
    """The raw score (log-odds) of full feature rows."""
    return np.asarray(model["booster"].predict(X[:, model["columns"]], raw_score=True, num_threads=PREDICT_THREADS))


def contributions(model: Mapping[str, Any], X: np.ndarray) -> np.ndarray:
    """TreeSHAP contributions of full feature rows over the model's features, base value last (rows sum to raw)."""
    return _booster_contributions(model, X[:, model["columns"]])


def _explainer(booster: Any, name: str) -> TreeExplainer | None:
    """A booster's vectorised TreeSHAP, or None (LightGBM's own pred_contrib) for trees it does not support."""
    try:
        return TreeExplainer(booster)
    except UnsupportedTree as exc:
        log.warning("head %s explained by LightGBM's pred_contrib: %s", name, exc)
        return None


def _booster_contributions(model: Mapping[str, Any], rows: np.ndarray) -> np.ndarray:
    explainer = model["explainer"]
    if explainer is not None:
        return np.asarray(explainer.contributions(rows), dtype=np.float64)
    return np.asarray(model["booster"].predict(rows, pred_contrib=True, num_threads=PREDICT_THREADS), dtype=np.float64)
