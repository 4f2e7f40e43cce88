"""The shipped model and its verification: nothing is unpickled before the card's signature and the
artifact's sha256 check out, and an artifact is accepted only if its features and heads are this code's."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from model.errors import ArtifactError
from model.features import FEATURE_NAMES
from model.heads import HEAD_NAMES, TRAINED_TYPES
from model.signing import signature_path, verify

# Package data (model/artifacts/), found wherever the package is installed.
ARTIFACT_DIR = Path(str(resources.files("model") / "artifacts"))
DEFAULT_ARTIFACT = ARTIFACT_DIR / "botlens-model.joblib"
DEFAULT_CARD = ARTIFACT_DIR / "model_card.json"
DEFAULT_PUBLIC_KEY = ARTIFACT_DIR / "signing.pub"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_verified(
    artifact_path: Path, card_path: Path, public_key: Path | None, allow_unsigned: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The artifact and its card, once the card's signature and the artifact's checksum pass.

    Args:
        artifact_path: The joblib artifact.
        card_path: The model card (JSON) that records the artifact's sha256; signed in ``<card>.sig``.
        public_key: The trusted ed25519 public key (PEM) the card must be signed with.
        allow_unsigned: Development only: accept a card without a signature (the checksum still applies).

    Raises:
        ArtifactError: a file is missing or unreadable, the card is unsigned or its signature fails,
            the checksum differs, or the file is not a botlens artifact.
    """
    artifact_path, card_path = Path(artifact_path), Path(card_path)
    if not card_path.is_file():
        raise ArtifactError(f"model card not found: {card_path}", reason="card-missing")
    if not artifact_path.is_file():
        raise ArtifactError(f"model artifact not found: {artifact_path}", reason="artifact-missing")
    card_bytes = card_path.read_bytes()
    signature = signature_path(card_path)
    if signature.is_file() and public_key is not None:
        verify(card_bytes, signature.read_bytes(), Path(public_key))
    elif not allow_unsigned:
        raise ArtifactError(f"model card is not signed (no {signature.name}, or no trusted key)", reason="unsigned")
    try:
        card = json.loads(card_bytes)
    except ValueError as exc:
        raise ArtifactError(f"model card is not JSON: {exc}", reason="card-invalid") from exc
    artifact_meta = card.get("artifact") if isinstance(card, dict) else None
    expected = artifact_meta.get("sha256") if isinstance(artifact_meta, dict) else None
    if not isinstance(expected, str):
        raise ArtifactError("model card records no artifact sha256", reason="card-invalid")
    actual = sha256_file(artifact_path)
    if actual != expected:
        raise ArtifactError(f"artifact checksum mismatch: card says {expected}, file is {actual}", reason="checksum")
    import joblib  # joblib is pickle: imported only once the signature and checksum passed.

    try:
        artifact = joblib.load(artifact_path)
    except Exception as exc:  # a truncated or corrupt file fails in many ways inside pickle and zlib
        raise ArtifactError(f"artifact unreadable: {type(exc).__name__}: {exc}", reason="unreadable") from exc
    if not isinstance(artifact, dict) or not isinstance(artifact.get("heads"), list) or "version" not in artifact:
        raise ArtifactError(f"artifact is not a botlens model ({type(artifact).__name__})", reason="wrong-type")
    return artifact, card


def check_matches_code(artifact: Mapping[str, Any]) -> None:
    """Whether the artifact was trained for this code: the same features, exactly the declared heads and bot types.

    Raises:
        ArtifactError: the feature list differs (``features``), or the heads are not ``model.heads``'
            (``heads``): responses are shaped by the declared heads, so a missing or unknown head
            would answer with scores the contract does not describe.
    """
    names = tuple(artifact.get("feature_names", ()))
    if names != FEATURE_NAMES:
        missing = sorted(set(FEATURE_NAMES) - set(names))
        extra = sorted(set(names) - set(FEATURE_NAMES))
        raise ArtifactError(
            f"artifact features differ from this code (missing {missing}, unexpected {extra})", reason="features"
        )
    heads = [head.get("name") if isinstance(head, Mapping) else None for head in artifact.get("heads", ())]
    if sorted(map(str, heads)) != sorted(HEAD_NAMES) or len(heads) != len(HEAD_NAMES):
        raise ArtifactError(f"artifact heads {heads} are not this code's heads {list(HEAD_NAMES)}", reason="heads")
    types = [t.get("name") if isinstance(t, Mapping) else None for t in artifact.get("types", ())]
    if types != list(TRAINED_TYPES):
        raise ArtifactError(f"artifact bot types {types} are not this code's {list(TRAINED_TYPES)}", reason="heads")
