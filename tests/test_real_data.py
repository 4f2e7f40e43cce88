"""Adapters on the real shared data and the shipped model (skipped when the data is absent)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.schemas import ScoreResponseSchema
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, Scorer
from model.training import datasets


@pytest.fixture(scope="module")
def shipped_client() -> Any:
    return create_app({"TESTING": True}).test_client()


@pytest.mark.parametrize("name", sorted(datasets.LOADERS))
def test_adapter_records_pass_the_request_schema(name: str, data_dir: Path, shipped_client: Any) -> None:
    records = list(itertools.islice(datasets.LOADERS[name](data_dir), 40))
    assert records and all(r.dataset == name for r in records)
    for record in records[:40]:
        body = dict(record.request, posts=record.request["posts"][:200])
        response = shipped_client.post("/v1/score", json=body)
        assert response.status_code == 200, (record.key, response.get_json())
        ScoreResponseSchema().load(response.get_json())


def test_adapters_labels_and_counts(data_dir: Path) -> None:
    ira = list(datasets.load_ira(data_dir))
    assert {r.label for r in ira} == {"troll"} and len(ira) > 2000
    cresci = list(datasets.load_cresci2015(data_dir))
    assert {r.label for r in cresci} == {"human", "bot"}
    with_text = [p for r in cresci[:50] for p in r.request["posts"] if "#" in (p.get("text") or "")]
    assert with_text and all(p["hashtags"] for p in with_text[:20])


def test_shipped_model_loads_with_recorded_checksum() -> None:
    scorer = Scorer.load(DEFAULT_ARTIFACT, DEFAULT_CARD)
    assert scorer.classes == ["bot", "troll", "hijacked"]
    assert all(0 < t < 1 for t in scorer.thresholds().values())


def test_shipped_model_scores_real_accounts_sensibly(data_dir: Path, shipped_client: Any) -> None:
    troll = next(r for r in datasets.load_ira(data_dir) if len(r.request["posts"]) >= 200)
    body = dict(troll.request, posts=troll.request["posts"][:200])
    result = shipped_client.post("/v1/score", json=body).get_json()
    assert result["n_posts"] == 200
    assert result["scores"]["troll"] > 0.5


def test_shipped_model_top_bot_feature_perturbation(data_dir: Path) -> None:
    """On real bots, moving the top bot-raising feature to the typical human value lowers the raw bot score."""
    from model.records import prepare
    from tests.perturbation import top_bot_features_moved

    scorer = Scorer.load(DEFAULT_ARTIFACT, DEFAULT_CARD)
    bots = [r for r in itertools.islice(datasets.load_kaggle2017(data_dir), 400) if r.label == "bot"][:40]
    assert top_bot_features_moved(scorer, [prepare(r.request, now=0.0) for r in bots]) >= 10
