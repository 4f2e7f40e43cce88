"""Parts of the evaluation report that rest on no shipped model: the in-domain ceiling of profile features."""

from __future__ import annotations

import numpy as np

from model.records import prepare
from model.training.evaluate import in_domain_ceiling
from model.training.examples import Example

NOW = 1_700_000_000.0


def _example(dataset: str, index: int, label: str, followers: int) -> Example:
    request = {"account": {"id": f"{dataset}-{index}", "followers_count": followers, "friends_count": 100}}
    return Example(dataset, f"{dataset}-{index}", label, "", "train", "full", prepare(request, NOW))


def test_in_domain_ceiling_per_dataset_alone() -> None:
    rng = np.random.default_rng(0)
    examples = []
    for i in range(60):
        bot = i % 2 == 0
        label = "bot" if bot else "human"
        # Separable by followers in one dataset, unrelated to the label in the other.
        examples.append(_example("clear", i, label, 0 if bot else 500 + i))
        examples.append(_example("noise", i, label, int(rng.integers(0, 1000))))
        examples.append(_example("bots-only", i, "bot", i))
    rows = {row["dataset"]: row for row in in_domain_ceiling(examples)}
    assert set(rows) == {"clear", "noise"}  # a one-class source has no AUC
    assert rows["clear"]["roc_auc"] == 1.0 and (rows["clear"]["n"], rows["clear"]["bots"]) == (60, 30)
    assert 0.2 < rows["noise"]["roc_auc"] < 0.8
