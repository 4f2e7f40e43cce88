"""Where training and evaluation read and write: configurable, with the source checkout as the default.

The service never reads these (its resources ship inside the packages); a training run from a
checkout finds the shared data beside it and writes the evaluation report into ``docs/``.
"""

from __future__ import annotations

import os
from pathlib import Path

# The checkout this package lives in (model/training/ -> the repository root).
CHECKOUT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The shared labelled data: ``BOTLENS_DATA_DIR`` if set, else ``../shared/data`` beside the checkout."""
    env = os.environ.get("BOTLENS_DATA_DIR")
    return Path(env) if env else CHECKOUT.parent / "shared" / "data"


def docs_dir() -> Path:
    """Where the evaluation reports go: ``BOTLENS_DOCS_DIR`` if set, else the checkout's ``docs/``."""
    env = os.environ.get("BOTLENS_DOCS_DIR")
    return Path(env) if env else CHECKOUT / "docs"
