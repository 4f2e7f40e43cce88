"""AT Protocol labels from stored labels: their values, their signatures and the labeler's declaration.

A labeler publishes discrete labels about accounts (``uri`` = the account's DID); the numeric scores stay
in botlens's own API, as the AT Protocol label spec advises. A label is signed as the spec says: the
label without ``sig`` (``ver`` included) encoded as DAG-CBOR, hashed with SHA-256 and signed with the
labeler's secp256k1 key (the ``#atproto_label`` key of its DID document), as a 64-byte compact signature
in its low-S form.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import libipld
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

from model.heads import HEADS

LABEL_VERSION = 1
# The label value of each stored label that names a head (``human`` and ``unknown`` give none).
VALUES: dict[str, str] = {head.name: head.moderation_label for head in HEADS if head.moderation_label}
# secp256k1's group order: a signature's s above half of it has a twin (n - s) that verifies too.
_SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# The multicodec prefix of a compressed secp256k1 public key in a did:key (0xe7, varint-encoded).
_SECP256K1_MULTICODEC = b"\xe7\x01"


def value_for(label: str | None) -> str | None:
    """The label value for a stored label (``bot`` -> ``likely-bot``), None when it names no head."""
    return VALUES.get(label or "")


def timestamp(moment: float) -> str:
    """RFC 3339 UTC with milliseconds, the form labels carry (``2026-12-04T10:00:00.000Z``)."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(moment * 1000) % 1000:03d}Z"


def unsigned(label: Mapping[str, Any]) -> dict[str, Any]:
    """The label as it is signed: every field but ``sig``, ``ver`` set, ``neg`` only when true."""
    body = {key: value for key, value in label.items() if key != "sig" and value is not None}
    body["ver"] = LABEL_VERSION
    if not body.get("neg"):
        body.pop("neg", None)
    return body


def signing_bytes(label: Mapping[str, Any]) -> bytes:
    """The DAG-CBOR bytes a label's signature covers."""
    return bytes(libipld.encode_dag_cbor(unsigned(label)))


@dataclass(frozen=True)
class LabelSigner:
    """The labeler's secp256k1 key."""

    key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> LabelSigner:
        """A new key."""
        return cls(ec.generate_private_key(ec.SECP256K1()))

    @classmethod
    def load(cls, path: Path) -> LabelSigner:
        """Reads a PEM (PKCS#8) secp256k1 private key.

        Raises:
            ValueError: the file does not hold a secp256k1 private key.
        """
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256K1):
            raise ValueError(f"{path} does not hold a secp256k1 private key")
        return cls(key)

    def save(self, path: Path) -> None:
        """Writes the key as PEM, readable by its owner only."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)

    def public_multibase(self) -> str:
        """The public key as a multibase (base58btc) Multikey: ``publicKeyMultibase`` of ``#atproto_label``."""
        compressed = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
        return str(libipld.encode_multibase("z", _SECP256K1_MULTICODEC + compressed))

    def did_key(self) -> str:
        """The public key as a ``did:key``."""
        return "did:key:" + self.public_multibase()

    def sign(self, label: Mapping[str, Any]) -> bytes:
        """The label's 64-byte compact, low-S signature."""
        r, s = decode_dss_signature(self.key.sign(signing_bytes(label), ec.ECDSA(SHA256())))
        if s > _SECP256K1_ORDER // 2:
            s = _SECP256K1_ORDER - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def definitions() -> list[dict[str, Any]]:
    """The label value definitions of the labeler's ``app.bsky.labeler.service`` record."""
    return [
        {
            "identifier": value,
            "severity": "inform",
            "blurs": "none",
            "defaultSetting": "warn",
            "adultOnly": False,
            "locales": [
                {
                    "lang": "en",
                    "name": value.replace("-", " ").capitalize(),
                    "description": f"botlens judges this account's behaviour as: {head.description}",
                }
            ],
        }
        for head in HEADS
        if (value := head.moderation_label)
    ]


def declaration(did: str, endpoint: str, signer: LabelSigner) -> dict[str, Any]:
    """What a labeler publishes about itself: its service record and the parts of its DID document.

    Args:
        did: The labeler account's DID (``src`` of its labels).
        endpoint: The public URL its ``/xrpc/com.atproto.label.*`` routes answer on.
    """
    return {
        "service_record": {
            "$type": "app.bsky.labeler.service",
            "policies": {"labelValues": list(VALUES.values()), "labelValueDefinitions": definitions()},
            "createdAt": "<set when you publish it>",
        },
        "did_document": {
            "verificationMethod": [
                {
                    "id": f"{did}#atproto_label",
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": signer.public_multibase(),
                }
            ],
            "service": [{"id": "#atproto_labeler", "type": "AtprotoLabeler", "serviceEndpoint": endpoint}],
        },
        "did_key": signer.did_key(),
    }
