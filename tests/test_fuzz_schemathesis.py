"""Fuzz the live app against the committed openapi.yaml: no 5xx, every response conforms to the spec.

Uses schemathesis' strategies with hypothesis directly (its pytest plugin does not support this
pytest major yet); each operation gets a bounded number of examples.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from store.keys import mint

# Constraints OpenAPI cannot state are enforced with 422 (timestamps within 2006..now+1 day, a
# reference needs an id or an author), so a schema-valid body may be rejected; every other check runs.
EXCLUDED = [positive_data_acceptance]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_PER_OPERATION = 40


def _operations() -> list[tuple[str, str]]:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    methods = {"get", "post", "put", "patch", "delete"}
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item if method in methods]


@pytest.fixture(scope="module")
def fuzz_app(small_model: tuple[Path, Path], public_key: Path) -> tuple[Any, Any, str]:
    """The app with keys on (so the spec's security is checked too) and a quota fuzzing cannot exhaust."""
    from api.app import create_app

    key, record = mint("fuzz", 10**9, scopes=["admin"])
    app = create_app(
        {
            "MODEL_PATH": str(small_model[0]),
            "MODEL_CARD_PATH": str(small_model[1]),
            "MODEL_PUBLIC_KEY_PATH": str(public_key),
            "LOG_LEVEL": "WARNING",
            "AUTH_ENABLED": True,
            "API_KEYS": [asdict(record)],
        }
    )
    # Loaded from the app itself, so that every check (auth probes included) goes through WSGI.
    return schemathesis.openapi.from_wsgi("/openapi.yaml", app), app, key


@pytest.mark.parametrize(("method", "path"), _operations())
def test_api_conforms_to_spec_under_fuzzing(method: str, path: str, fuzz_app: tuple[Any, Any, str]) -> None:
    schema, app, key = fuzz_app
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def run(case: Any) -> None:
        response = case.call(app=app, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
        case.validate_response(response, headers={"Authorization": f"Bearer {key}"}, excluded_checks=EXCLUDED)

    run()
