"""The OpenAPI document, generated from the code: served at ``/openapi.yaml`` and committed as ``openapi.yaml``
(``python -m api.spec > openapi.yaml``; a test keeps the two equal)."""

from __future__ import annotations

from typing import Any

import yaml
from flask import Flask
from flask_smorest import Api
from marshmallow import fields

from api import schemas
from model.validation import AccountSlot

_DOCUMENT = "botlens.openapi"


def register_fields(api: Api) -> None:
    """Teaches the spec generator the custom fields (a batch slot is a result or a problem) and the key schemes."""

    def batch_slot(converter: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
        if isinstance(field, schemas.BatchSlot):
            return {
                "oneOf": [
                    converter.resolve_nested_schema(schemas.ScoreResponseSchema),
                    converter.resolve_nested_schema(schemas.ProblemSchema),
                ]
            }
        if isinstance(field, schemas.CoordinationSlot):
            return {
                "oneOf": [
                    converter.resolve_nested_schema(schemas.AccountCoordinationSchema),
                    converter.resolve_nested_schema(schemas.ProblemSchema),
                ]
            }
        if isinstance(field, schemas.LookupSlot):
            return {
                "oneOf": [
                    converter.resolve_nested_schema(schemas.StoredResultSchema),
                    converter.resolve_nested_schema(schemas.ProblemSchema),
                ]
            }
        if isinstance(field, AccountSlot):
            return {"anyOf": request_bodies(converter)}
        return {}

    api.ma_plugin.converter.add_attribute_function(batch_slot)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("apiKeyHeader", {"type": "apiKey", "in": "header", "name": "X-API-Key"})


def request_bodies(converter: Any) -> list[dict[str, Any]]:
    """References to the native request and every platform payload schema."""
    return [
        converter.resolve_nested_schema(schema) for schema in (schemas.ScoreRequestSchema, *schemas.PAYLOAD_SCHEMAS)
    ]


def document(app: Flask) -> str:
    """The app's spec as YAML, worked out once per process (nothing is read from a checkout)."""
    text = app.extensions.get(_DOCUMENT)
    if text is None:
        with app.app_context():
            spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
        # The document's own order: the version line first, then what it describes (apispec puts paths first).
        first = [key for key in ("openapi", "info", "servers", "tags", "paths", "components") if key in spec]
        ordered = {key: spec[key] for key in first} | {key: value for key, value in spec.items() if key not in first}
        text = app.extensions[_DOCUMENT] = str(yaml.dump(ordered, sort_keys=False, allow_unicode=True))
    return text
