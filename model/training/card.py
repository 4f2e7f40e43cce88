"""The artifact and its model card: written, checksummed and signed together."""

from __future__ import annotations

import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model import signing
from model.features import FEATURE_NAMES, FEATURES
from model.scoring import sha256_file

# The version a training run writes (``--version`` overrides it).
MODEL_VERSION = "1.5.0"


def versions() -> dict[str, str]:
    """The versions of the libraries that trained (and will load) the artifact, for the card."""
    import joblib
    import lightgbm
    import sklearn

    return {
        "python": platform.python_version(),
        "lightgbm": lightgbm.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "joblib": joblib.__version__,
    }


def save_model(
    heads: list[dict[str, Any]],
    card: dict[str, Any],
    reference: dict[str, Any],
    out_artifact: Path,
    out_card: Path,
    version: str = MODEL_VERSION,
    signing_key: Path | None = None,
    types: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Writes the artifact, then the card that records its sha256, then the card's signature.

    Args:
        types: The trained bot types (``model.training.train.fit_types``).
        signing_key: The ed25519 private key (``model.signing``); without it the card is left unsigned
            and the service refuses it until it is signed.
    """
    import joblib

    artifact = {
        "format": 2,
        "version": version,
        "feature_names": list(FEATURE_NAMES),
        "heads": heads,
        "types": types or [],
        "reference": reference,
    }
    out_artifact.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(artifact, out_artifact, compress=3)
    card = {
        "name": "botlens",
        "version": version,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "artifact": {"file": out_artifact.name, "sha256": sha256_file(out_artifact)},
        "classes": [h["name"] for h in heads],
        "features": [
            {"name": s.name, "group": s.group, "unit": s.unit, "description": s.description} for s in FEATURES
        ],
        **card,
        "library_versions": versions(),
    }
    write_card(card, out_card, signing_key)
    return card


def write_card(card: dict[str, Any], path: Path, signing_key: Path | None) -> None:
    """Writes a model card and signs it, or removes a signature that no longer matches it."""
    path.write_text(json.dumps(card, indent=1) + "\n")
    if signing_key is not None:
        signing.sign(path, signing_key)
        return
    signing.signature_path(path).unlink(missing_ok=True)
    print(
        f"{path} is unsigned: sign it (python -m model.signing sign --key KEY {path}) before serving it",
        file=sys.stderr,
    )
