"""An experiment, not a service: the scoring app with feature extraction replaced by a fixed row.

``python -m loadtests.bench --floor`` serves it beside the real app to measure what everything except
the features costs (HTTP, decoding and validation, explanations, formatting, logs and metrics): the
ceiling any faster feature extractor could reach. The fixed row is the real feature vector of the
benchmark's own body, so explanations do the same work as in the real app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from flask import Flask

from api.app import create_app as create_scoring_app
from loadtests import sample
from model.scoring import Scorer
from model.validation import FastDecoder


def skip_features(scorer: Scorer, fast: FastDecoder) -> None:
    """Replaces the scorer's feature extraction with the real feature row of the benchmark's body."""
    row = scorer.matrix([fast.decode(sample.load()["long"][0], now=2e9)])

    def fixed_matrix(items: Sequence[Any]) -> np.ndarray:
        return np.repeat(row, len(items), axis=0)

    scorer.matrix = fixed_matrix  # type: ignore[method-assign]


def create_app() -> Flask:
    """The scoring app whose scorer skips feature extraction (see the module docstring)."""
    app = create_scoring_app()
    state = app.extensions["botlens"]
    skip_features(state.scorer, state.validator.fast)
    return app
