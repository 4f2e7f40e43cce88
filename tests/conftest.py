"""Shared fixtures: a small model built from synthetic accounts into a temp dir, and app clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.app import create_app
from model import signing
from model.scoring import Scorer
from model.training import examples, fit, paths, train
from model.training.card import save_model
from tests import synthetic


@pytest.fixture(scope="session", autouse=True)
def _store_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every app the tests build keeps its default score store in a temp folder, never the user's data folder."""
    patch = pytest.MonkeyPatch()
    patch.setenv("BOTLENS_STORE_DIR", str(tmp_path_factory.mktemp("store")))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Artifact and card of a small model trained on synthetic accounts with the real pipeline."""
    out = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(1)
    base = examples.base_examples(synthetic.accounts())
    all_examples = (
        base + examples.variants(base, rng) + examples.hijack_examples(base, rng) + examples.dropout_variants(base, rng)
    )
    X = examples.feature_matrix(all_examples, n_jobs=1)
    heads, card_heads = train.fit_heads(all_examples, X, n_jobs=1, tune=False, rounds=40, log=lambda *_: None)
    types, card_types = train.fit_types(all_examples, X, n_jobs=1, tune=False, log=lambda *_: None)
    artifact, card = out / "model.joblib", out / "card.json"
    # A key pair of the tests' own, beside the model: the card is signed as training signs it.
    signing.generate(out / "signing.key", out / "signing.pub")
    save_model(
        heads,
        {"heads": card_heads, "bot_types": card_types, "training_data": {"synthetic": True}},
        fit.reference_percentiles(X, all_examples),
        artifact,
        card,
        version="test-0",
        signing_key=out / "signing.key",
        types=types,
    )
    return artifact, card


@pytest.fixture(scope="session")
def signing_key(small_model: tuple[Path, Path]) -> Path:
    """The private key the small model's card is signed with."""
    return small_model[0].parent / "signing.key"


@pytest.fixture(scope="session")
def public_key(small_model: tuple[Path, Path]) -> Path:
    """The public key that verifies the small model's card."""
    return small_model[0].parent / "signing.pub"


@pytest.fixture(scope="session")
def scorer(small_model: tuple[Path, Path], public_key: Path) -> Scorer:
    return Scorer.load(*small_model, public_key=public_key)


@pytest.fixture()
def app_factory(small_model: tuple[Path, Path]) -> Any:
    def make(**overrides: Any):
        config = {
            "MODEL_PATH": str(small_model[0]),
            "MODEL_CARD_PATH": str(small_model[1]),
            "MODEL_PUBLIC_KEY_PATH": str(small_model[0].parent / "signing.pub"),
            "TESTING": True,
        }
        config.update(overrides)
        return create_app(config)

    return make


@pytest.fixture()
def client(app_factory: Any) -> Iterator[Any]:
    yield app_factory().test_client()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared real data; tests that need it skip cleanly when it is absent."""
    path = paths.data_dir()
    if not (path / "cresci-2015-mowghli").is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path
