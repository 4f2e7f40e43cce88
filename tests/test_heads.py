"""The heads are declared once (``model.heads``, with a training recipe each in ``model.training.recipes``);
training, responses, Spark and evaluation follow that declaration."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from api.schemas import ExplanationsSchema, ScoreResponseSchema, ScoresSchema
from model.features import FEATURE_NAMES
from model.heads import HEAD_NAMES, LABELS, TRAINED_TYPES, TYPE_NAMES
from model.scoring import Scorer
from model.training import fit
from model.training.recipes import RECIPES
from spark import OUTPUT_SCHEMA


def test_response_schema_follows_the_heads() -> None:
    assert list(ScoresSchema().fields) == list(HEAD_NAMES)
    assert list(ExplanationsSchema().fields) == list(HEAD_NAMES)
    label = ScoreResponseSchema().fields["label"]
    assert list(label.validators[0].choices) == list(LABELS)


def test_spark_output_has_a_score_column_per_head_and_type() -> None:
    columns = [c.split(" ")[0] for c in OUTPUT_SCHEMA.split(", ")]
    assert [c for c in columns if c.startswith("score_")] == [f"score_{name}" for name in HEAD_NAMES]
    assert [c for c in columns if c.startswith("type_")] == [f"type_{name}" for name in TYPE_NAMES]
    assert "bot_type" in columns


def test_response_schema_follows_the_bot_types() -> None:
    from api.schemas import BotTypesSchema, TypeScoresSchema

    assert list(TypeScoresSchema().fields) == list(TYPE_NAMES)
    leading = BotTypesSchema().fields["leading"]
    assert list(leading.validators[0].choices) == list(TYPE_NAMES)


def test_every_trained_type_has_a_recipe_on_bots_only() -> None:
    from model.training.examples import Example
    from model.training.recipes import TYPE_RECIPES, bot_type

    assert list(TYPE_RECIPES) == list(TRAINED_TYPES)
    ex = [
        Example(d, "k", label, group, "train", "full", None)
        for d, label, group in [  # type: ignore[arg-type]
            ("cresci-stock-2018", "bot", "bot"),
            ("cresci-stock-2018", "human", "human"),
            ("cresci-2017", "bot", "fake_followers"),
            ("cresci-2017", "bot", "social_spambots_1"),
            ("kaggle-2017", "bot", "bot"),
        ]
    ]
    assert [bot_type(e) for e in ex] == ["financial", None, "fake_follower", "spammer", None]


def test_every_head_has_one_recipe_in_the_same_order() -> None:
    assert [recipe.head for recipe in RECIPES] == list(HEAD_NAMES)


def test_training_writes_the_declared_heads_in_order(scorer: Scorer) -> None:
    assert scorer.classes == list(HEAD_NAMES)
    for recipe, head in zip(RECIPES, scorer.heads):
        assert head["features"] == recipe.features(FEATURE_NAMES)
        assert not set(head["features"]) & set(recipe.excluded())


def test_head_features_exclude_their_confounds() -> None:
    troll = fit.head_features("troll")
    assert "followers_count" not in troll and "distinct_sources" not in troll
    bot = fit.head_features("bot")
    assert "max_posts_per_hour" not in bot and "verified" not in bot  # dump sampling; verified-only humans
    assert set(fit.head_features("hijacked")) < set(FEATURE_NAMES)


def test_head_features_leave_out_era_markers() -> None:
    # Quote posts (2015) and 280-character texts (2017) tell eras apart, not behaviour.
    for name in HEAD_NAMES:
        assert not {"quote_share", "text_length_mean"} & set(fit.head_features(name)), name


def test_model_card_lists_the_heads(small_model: tuple[Path, Path]) -> None:
    import json

    card = json.loads(small_model[1].read_text())
    assert [h["name"] for h in card["heads"]] == list(HEAD_NAMES) == card["classes"]
    assert all(isinstance(h["excluded_features"], dict) for h in card["heads"])
    assert np.all([h["threshold"] > 0 for h in card["heads"]])


def test_known_directions_are_constraints_of_the_trained_trees(scorer: Scorer) -> None:
    for recipe, head in zip(RECIPES, scorer.heads):
        text = head["booster"].model_to_string()
        expected = recipe.constraints(head["features"])
        if any(expected):
            assert f"[monotone_constraints: {','.join(map(str, expected))}]" in text, recipe.head


def test_more_automation_never_lowers_the_bot_raw_score(scorer: Scorer) -> None:
    import numpy as np

    head = next(h for h in scorer.heads if h["name"] == "bot")
    rows = np.random.default_rng(0).uniform(0, 5, size=(200, len(FEATURE_NAMES)))
    for name in ("automation_share", "duplicate_text_share"):
        column = FEATURE_NAMES.index(name)
        raws = []
        for value in (0.0, 0.25, 0.5, 0.75, 1.0):
            rows[:, column] = value
            raws.append(head["booster"].predict(rows[:, head["columns"]], raw_score=True))
        assert np.all(np.diff(np.vstack(raws), axis=0) >= -1e-12), name
