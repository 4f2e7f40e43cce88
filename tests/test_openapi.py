"""The committed openapi.yaml is the code's spec, and it is served."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from api.spec import spec_yaml

ROOT = Path(__file__).resolve().parent.parent


def test_openapi_committed_matches_code() -> None:
    committed = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    assert committed == yaml.safe_load(spec_yaml()), "run: python -m api.spec > openapi.yaml"


def test_openapi_served_as_committed(client: Any) -> None:
    response = client.get("/openapi.yaml")
    assert response.status_code == 200
    assert response.mimetype == "application/yaml"
    assert response.get_data() == (ROOT / "openapi.yaml").read_bytes()


def test_openapi_documents_every_route(client: Any) -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    # The web page and its files (api.page) are not part of the JSON contract.
    rules = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule)
        for r in client.application.url_map.iter_rules()
        if not r.endpoint.startswith("page.")
    }
    assert rules == set(spec["paths"])
    batch_items = spec["components"]["schemas"]["BatchResponse"]["properties"]["results"]["items"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in batch_items["oneOf"]} == {"ScoreResponse", "Problem"}


def test_openapi_version_line_comes_first() -> None:
    assert (ROOT / "openapi.yaml").read_text().startswith("openapi: ")


def test_readme_documents_every_problem_type() -> None:
    from model.problems import STATUS_TABLE

    readme = (ROOT / "README.md").read_text()
    for status, slug, _ in STATUS_TABLE.values():
        assert f"problem:{slug}`" in readme or f"...:{slug}`" in readme, (status, slug)
