"""Every copy of the request contract equals its one declaration (``model.contract``), field by field."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from api.config import Config
from model.contract import (
    ACCOUNT_FIELDS,
    POST_FIELDS,
    REQUEST_FIELDS,
    FieldSpec,
    Kind,
    Limits,
    check_timestamp,
    setting_name,
)
from model.errors import InvalidRecordError
from model.records import Account, Post, Timeline, parse_timestamp, prepare
from model.validation import FastDecoder, make_request_schemas

ROOT = Path(__file__).resolve().parent.parent
SPEC = yaml.safe_load((ROOT / "openapi.yaml").read_text())["components"]["schemas"]
ODD = Limits(posts=7, batch=9, text_length=31, string_length=13, list_length=5)


def test_records_hold_the_declared_fields_in_order() -> None:
    assert [f.name for f in dataclasses.fields(Account)] == [s.name for s in ACCOUNT_FIELDS]
    assert [f.name for f in dataclasses.fields(Post)] == [s.name for s in POST_FIELDS]
    assert [f.name for f in dataclasses.fields(Timeline)] == [s.name for s in POST_FIELDS]


@pytest.mark.parametrize("record, specs", [(Account, ACCOUNT_FIELDS), (Post, POST_FIELDS)])
def test_records_default_to_the_declared_defaults(record: Any, specs: tuple[FieldSpec, ...]) -> None:
    for field, spec in zip(dataclasses.fields(record), specs):
        if spec.required:
            continue
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        expected = () if spec.kind is Kind.STRINGS else spec.default
        assert default == expected, spec.name


def test_service_settings_are_the_declared_limits() -> None:
    for field in dataclasses.fields(Limits):
        assert getattr(Config, setting_name(field.name)) == field.default
    assert Limits.from_settings({"MAX_POSTS": "7", "OTHER": 1}) == Limits(posts=7)


def _schema_fields(schema: Any) -> dict[str, Any]:
    return schema().fields


@pytest.mark.parametrize("part, specs", [("account", ACCOUNT_FIELDS), ("post", POST_FIELDS)])
def test_marshmallow_schema_follows_the_declaration(part: str, specs: tuple[FieldSpec, ...]) -> None:
    account, request, _ = make_request_schemas(ODD)
    schema = account() if part == "account" else request().fields["posts"].inner.schema
    assert list(schema.fields) == [s.name for s in specs]
    for spec in specs:
        field = schema.fields[spec.name]
        assert field.required == spec.required and field.allow_none == spec.nullable, spec.name
        assert field.metadata["description"] == spec.description
        bound = spec.max_length(ODD)
        if bound is not None:
            lengths = [v for v in field.validators if hasattr(v, "max")]
            assert [v.max for v in lengths] == [bound], spec.name


def test_fast_decoder_follows_the_declaration() -> None:
    fast = FastDecoder(ODD)
    request = fast.request_type
    account_t = msgspec.inspect.type_info(request).fields[0].type
    post_t = msgspec.inspect.type_info(request).fields[1].type.item_type
    for struct, specs in ((account_t, ACCOUNT_FIELDS), (post_t, POST_FIELDS)):
        info = msgspec.inspect.type_info(struct) if not isinstance(struct, msgspec.inspect.StructType) else struct
        assert [f.name for f in info.fields] == [s.name for s in specs]
        for field, spec in zip(info.fields, specs):
            assert field.required == spec.required, spec.name
            if not spec.required:
                assert field.default == spec.default, spec.name
    assert [f.name for f in msgspec.inspect.type_info(request).fields] == [
        "account",
        "posts",
        *[s.name for s in REQUEST_FIELDS],
    ]


@pytest.mark.parametrize("component, specs", [("Account", ACCOUNT_FIELDS), ("Post", POST_FIELDS)])
def test_spec_documents_every_declared_field(component: str, specs: tuple[FieldSpec, ...]) -> None:
    properties = SPEC[component]["properties"]
    assert list(properties) == [s.name for s in specs]
    for spec in specs:
        prop = properties[spec.name]
        assert prop["description"] == spec.description
        nullable = prop.get("nullable") or any(option.get("nullable") for option in prop.get("anyOf", []))
        assert bool(nullable) == spec.nullable, spec.name
        bound = spec.max_length(Limits())
        if bound is not None:
            assert (prop.get("maxLength") or prop.get("maxItems")) == bound, spec.name
    assert sorted(SPEC[component].get("required", [])) == sorted(s.name for s in specs if s.required)


@pytest.mark.parametrize(
    "text",
    [
        "2020-01-01",
        "20200101T000000Z",
        "2020-W01-1T00:00:00Z",
        "2020-01-01T00:00:00",
        "2020-01-01T00:00Z",
        " 2020-01-01T00:00:00Z",
        "2020-02-30T00:00:00Z",
        "yesterday",
    ],
)
def test_timestamps_must_be_rfc3339(text: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        check_timestamp(text, now=2e9, field="posts.0.created_at")
    assert caught.value.field == "posts.0.created_at"
    # The records (what training's adapters build on) read timestamps with the same parser: the same refusal.
    with pytest.raises(InvalidRecordError):
        parse_timestamp(text)
    with pytest.raises(InvalidRecordError) as refused:
        prepare({"account": {"id": "1"}, "posts": [{"created_at": text}]}, now=2e9)
    assert refused.value.field == "posts.0.created_at"


@pytest.mark.parametrize(
    "text, epoch",
    [
        ("2020-01-01T00:00:00Z", 1577836800.0),
        ("2020-01-01 03:00:00+03:00", 1577836800.0),
        ("2020-01-01T00:00:00.5Z", 1577836800.5),
        ("2020-01-01T00:00:00.123456789-00:00", 1577836800.123457),
    ],
)
def test_timestamps_in_rfc3339_forms_are_read_as_utc(text: str, epoch: float) -> None:
    assert check_timestamp(text, now=2e9, field="x") == pytest.approx(epoch)
    assert parse_timestamp(text) == check_timestamp(text, now=2e9, field="x")


def test_timestamps_outside_the_range_are_refused() -> None:
    with pytest.raises(InvalidRecordError, match="between 2006-01-01"):
        check_timestamp("2005-12-31T23:59:59Z", now=2e9, field="x")
    with pytest.raises(InvalidRecordError, match="between 2006-01-01"):
        check_timestamp("2020-01-03T00:00:01Z", now=1577836800.0, field="x")
