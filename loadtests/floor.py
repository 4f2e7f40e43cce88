"""An experiment, not a service: the scoring app with feature extraction replaced by a fixed row.

``python -m loadtests.bench --floor`` serves it beside the real app to measure what everything except
the features costs (HTTP, decoding and validation, explanations, formatting, logs and metrics): the
ceiling any faster feature extractor could reach. The fixed row is the real feature vector of the
benchmark's own body, so explanations do the same work as in the real app.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from flask import Flask

from api import create_app as create_scoring_app
from api.fastpath import FastPath
from api.schemas import Limits
from loadtests import sample


def create_app() -> Flask:
    """The scoring app whose scorer skips feature extraction (see the module docstring)."""
    app = create_scoring_app()
    scorer = app.extensions["botlens"].scorer
    body = sample.load()["long"][0]
    row = scorer.matrix([FastPath(Limits()).decode(body, now=2e9)])

    def fixed_matrix(items: Sequence[Any]) -> np.ndarray:
        return np.repeat(row, len(items), axis=0)

    scorer.matrix = fixed_matrix
    return app
