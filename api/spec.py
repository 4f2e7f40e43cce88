"""Prints the OpenAPI document of a service built with default configuration: ``python -m api.spec > openapi.yaml``."""

from __future__ import annotations

import sys

from api.app import create_app
from api.documents import document


def spec_yaml() -> str:
    """The spec of an app built with default config, as YAML (no model needed)."""
    return document(
        create_app({"MODEL_PATH": "/nonexistent", "MODEL_CARD_PATH": "/nonexistent", "STORE_ENABLED": False})
    )


def main() -> int:
    """Prints the spec."""
    sys.stdout.write(spec_yaml())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
