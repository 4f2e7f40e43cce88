"""The heads are declared once (``model.heads``); training, responses, Spark and evaluation follow that declaration."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from api.schemas import ExplanationsSchema, ScoreResponseSchema, ScoresSchema
from model import train
from model.features import FEATURE_NAMES
from model.heads import HEAD_NAMES, HEADS, LABELS
from model.scoring import Scorer
from model.spark import OUTPUT_SCHEMA


def test_response_schema_follows_the_heads() -> None:
    assert list(ScoresSchema().fields) == list(HEAD_NAMES)
    assert list(ExplanationsSchema().fields) == list(HEAD_NAMES)
    label = ScoreResponseSchema().fields["label"]
    assert list(label.validators[0].choices) == list(LABELS)


def test_spark_output_has_a_score_column_per_head() -> None:
    columns = [c.split(" ")[0] for c in OUTPUT_SCHEMA.split(", ")]
    assert [c for c in columns if c.startswith("score_")] == [f"score_{name}" for name in HEAD_NAMES]


def test_training_writes_the_declared_heads_in_order(scorer: Scorer) -> None:
    assert scorer.classes == list(HEAD_NAMES)
    for spec, head in zip(HEADS, scorer.heads):
        assert head["features"] == spec.features(FEATURE_NAMES)
        assert not set(head["features"]) & set(spec.excluded())


def test_head_features_exclude_their_confounds() -> None:
    troll = train.head_features("troll")
    assert "followers_count" not in troll and "distinct_sources" not in troll
    assert "statuses_per_day" not in train.head_features("bot")
    assert set(train.head_features("hijacked")) < set(FEATURE_NAMES)


def test_model_card_lists_the_heads(small_model: tuple[Path, Path]) -> None:
    import json

    card = json.loads(small_model[1].read_text())
    assert [h["name"] for h in card["heads"]] == list(HEAD_NAMES) == card["classes"]
    assert all(isinstance(h["excluded_features"], dict) for h in card["heads"])
    assert np.all([h["threshold"] > 0 for h in card["heads"]])
