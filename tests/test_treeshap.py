"""The vectorised TreeSHAP equals LightGBM's own pred_contrib, and contributions sum to the raw score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from model.scoring import Scorer
from model.treeshap import TreeExplainer, UnsupportedTree

GOLDEN = Path(__file__).resolve().parent / "data" / "features_golden.npz"


def _thresholds(booster: lgb.Booster) -> list[tuple[int, float]]:
    found: list[tuple[int, float]] = []

    def walk(node: dict[str, Any]) -> None:
        if "split_feature" in node:
            found.append((int(node["split_feature"]), float(node["threshold"])))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    return found


def _rows_on_thresholds(booster: lgb.Booster, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows of X with some features set exactly to split thresholds (the <= boundary) or just above."""
    splits = _thresholds(booster)
    rows = X[rng.integers(0, len(X), 200)].copy()
    for row in rows:
        for k in rng.integers(0, len(splits), 5):
            feature, threshold = splits[k]
            row[feature] = threshold if rng.random() < 0.5 else np.nextafter(threshold, np.inf)
    return rows


def _assert_matches_lightgbm(booster: lgb.Booster, X: np.ndarray) -> None:
    ours = TreeExplainer(booster).contributions(X)
    theirs = booster.predict(X, pred_contrib=True, num_threads=1)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.sum(axis=1), booster.predict(X, raw_score=True, num_threads=1), rtol=0, atol=1e-9)


def test_tree_explainer_matches_lightgbm_on_shipped_heads() -> None:
    scorer = Scorer.load()
    X = np.load(GOLDEN)["X"]
    rng = np.random.default_rng(0)
    for head in scorer.heads:
        assert head["explainer"] is not None, f"{head['name']} fell back to pred_contrib"
        rows = X[:, head["columns"]]
        _assert_matches_lightgbm(head["booster"], np.vstack([rows, _rows_on_thresholds(head["booster"], rows, rng)]))


@pytest.mark.parametrize(("leaves", "depth"), [(4, 2), (31, 5), (63, 8)])
def test_tree_explainer_matches_lightgbm_with_repeated_features(leaves: int, depth: int) -> None:
    # Three features and deep trees: paths split on the same feature several times.
    rng = np.random.default_rng(depth)
    X = rng.normal(size=(3000, 3))
    X[:, 2] = np.round(X[:, 2])  # Ties at thresholds.
    y = ((X[:, 0] * X[:, 1] > 0.2) ^ (np.abs(X[:, 2]) > 1)).astype(float)
    booster = lgb.train(
        {
            "objective": "binary",
            "num_leaves": leaves,
            "max_depth": depth,
            "min_data_in_leaf": 5,
            "verbose": -1,
            "seed": 1,
        },
        lgb.Dataset(X, label=y),
        num_boost_round=30,
    )
    _assert_matches_lightgbm(booster, np.vstack([X[:500], _rows_on_thresholds(booster, X, rng)]))


def test_tree_explainer_chunks_agree_with_single_rows() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 4))
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbose": -1}, lgb.Dataset(X, label=X[:, 0] > 0), num_boost_round=10
    )
    explainer = TreeExplainer(booster)
    batch = explainer.contributions(X[:70])
    single = np.vstack([explainer.contributions(X[i : i + 1]) for i in range(70)])
    np.testing.assert_array_equal(batch, single)


def test_tree_explainer_refuses_categorical_splits_and_scorer_falls_back(scorer: Scorer) -> None:
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.integers(0, 6, 2000), rng.normal(size=2000)]).astype(float)
    y = np.isin(X[:, 0], [1, 4]).astype(float)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbose": -1, "min_data_per_group": 5, "cat_smooth": 1},
        lgb.Dataset(X, label=y, categorical_feature=[0]),
        num_boost_round=5,
    )
    with pytest.raises(UnsupportedTree):
        TreeExplainer(booster)
    with pytest.raises(ValueError):
        TreeExplainer(
            lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(X, label=y), num_boost_round=2)
        ).contributions(X[:, :1])
