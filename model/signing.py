"""Signed model cards: an ed25519 signature over the card, which records the artifact's sha256.

A checksum in the card only detects accidents: whoever can write the artifact can write the card
too. A signature made with a private key kept outside the repository (and outside the service's
machines) cannot be forged by a writer, so the service loads (unpickles) an artifact only after the
card's signature verifies against a public key it trusts, and the artifact's sha256 matches the
card. The signature lives beside the card as ``<card>.sig`` (base64).

    python -m model.signing keygen --private ~/.config/botlens/signing.key --public model/artifacts/signing.pub
    python -m model.signing sign --key ~/.config/botlens/signing.key model/artifacts/model_card.json
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from model.errors import ArtifactError


def signature_path(card_path: Path) -> Path:
    """Where a card's signature lives: ``<card>.sig``."""
    return card_path.with_name(card_path.name + ".sig")


def generate(private_path: Path, public_path: Path) -> None:
    """Writes a new ed25519 key pair (the private key readable by its owner only)."""
    key = Ed25519PrivateKey.generate()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    public_path.write_bytes(public)


def sign(card_path: Path, private_path: Path) -> Path:
    """Signs the card's bytes; returns the signature's path."""
    key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{private_path} is not an ed25519 private key")
    out = signature_path(card_path)
    out.write_bytes(base64.b64encode(key.sign(card_path.read_bytes())) + b"\n")
    return out


def verify(card_bytes: bytes, signature: bytes, public_path: Path) -> None:
    """Checks a card's signature against a trusted public key.

    Raises:
        ArtifactError: the key is unreadable or not ed25519, or the signature does not verify.
    """
    try:
        key = serialization.load_pem_public_key(public_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"trusted public key unreadable: {public_path}: {exc}", reason="public-key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ArtifactError(f"trusted public key is not ed25519: {public_path}", reason="public-key")
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), card_bytes)
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        raise ArtifactError("model card signature does not verify", reason="signature-invalid") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """``keygen`` a key pair or ``sign`` a model card."""
    parser = argparse.ArgumentParser(description="Sign botlens model cards.")
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="write a new ed25519 key pair")
    keygen.add_argument("--private", type=Path, required=True, help="keep it outside the repository")
    keygen.add_argument("--public", type=Path, required=True)
    signer = sub.add_parser("sign", help="sign a model card (writes <card>.sig)")
    signer.add_argument("card", type=Path)
    signer.add_argument("--key", type=Path, required=True, help="the private key")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        generate(args.private, args.public)
        print(f"wrote {args.private} (private, keep it out of the repository) and {args.public}", file=sys.stderr)
        return 0
    print(f"wrote {sign(args.card, args.key)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
