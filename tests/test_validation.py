"""The msgspec fast path never accepts what the marshmallow schema rejects, and loads the same records."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from model.contract import ACCOUNT_FIELDS, POST_FIELDS, REQUEST_FIELDS, FieldSpec, Kind, Limits
from model.records import prepare
from model.validation import FastDecoder, NotFast, make_request_schemas

LIMITS = Limits(posts=5, batch=5, text_length=30, string_length=12, list_length=3)
SCHEMA = make_request_schemas(LIMITS)[1]()
FAST = FastDecoder(LIMITS)
NOW = 1_700_000_000.0

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**64),
    st.floats(allow_nan=False),
    st.text(max_size=15),
    st.lists(st.text(max_size=4), max_size=4),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
stamps = st.one_of(
    st.sampled_from(
        [
            "2020-01-01T00:00:00Z",
            "2019-05-05T10:00:00+03:00",
            "2019-05-05 10:00:00.123456789-02:30",
            "2005-01-01T00:00:00Z",
            "2100-01-01T00:00:00Z",
            "not a time",
            "2020-13-01T00:00:00Z",
            "2020-01-01",
            "20200101T000000Z",
            "2020-W01-1T00:00:00Z",
            "2020-01-01T00:00:00",
            " 2020-01-01T00:00:00Z",
            "2020-01-01T00:00:00z",
            "2020-01-01T00:00:00Z\n2020-01-01T00:00:00Z",
        ]
    ),
    anything,
)
strings = st.one_of(st.text(max_size=14), anything)
counts = st.one_of(st.integers(-2, 2**63 + 2), anything)
flags = st.one_of(st.booleans(), anything)
lists = st.one_of(st.lists(st.text(max_size=14), max_size=4), anything)
refs = st.one_of(st.fixed_dictionaries({}, optional={"id": strings, "author": strings, "x": strings}), anything)
BY_KIND = {
    Kind.ID: strings,
    Kind.STRING: strings,
    Kind.LANG: strings,
    Kind.COUNT: counts,
    Kind.FLAG: flags,
    Kind.TIMESTAMP: stamps,
    Kind.STRINGS: lists,
    Kind.REF: refs,
}
# A valid value of each kind (every declared field is present in the valid body, so each can be mutated).
GOOD = {
    Kind.ID: "a1",
    Kind.STRING: "abc",
    Kind.LANG: "en",
    Kind.COUNT: 3,
    Kind.FLAG: True,
    Kind.TIMESTAMP: "2020-01-01T00:00:00Z",
    Kind.STRINGS: ["a"],
    Kind.REF: {"id": "9", "author": "x"},
}


def _valid(specs: tuple[FieldSpec, ...]) -> dict[str, Any]:
    return {spec.name: GOOD[spec.kind] for spec in specs}


VALID = {
    "account": {**_valid(ACCOUNT_FIELDS), "created_at": "2015-01-01T00:00:00Z"},
    "posts": [_valid(POST_FIELDS)],
    **_valid(REQUEST_FIELDS),
    "observed_at": "2020-01-02T00:00:00Z",
}
FIELDS = (
    [(("account", s.name), s) for s in ACCOUNT_FIELDS]
    + [(("posts", 0, s.name), s) for s in POST_FIELDS]
    + [((s.name,), s) for s in REQUEST_FIELDS]
)
PATHS = [path for path, _ in FIELDS]
KIND_OF = dict(FIELDS)
values = st.one_of(anything, stamps, strings, counts, lists)


def test_mutations_cover_every_declared_field() -> None:
    assert len(PATHS) == len(ACCOUNT_FIELDS) + len(POST_FIELDS) + len(REQUEST_FIELDS)
    # The starting body is valid on both roads, so every mutation is one step from valid.
    assert FAST.convert(VALID, NOW) == prepare(SCHEMA.load(VALID), now=NOW)


@st.composite
def bodies(draw: Any) -> Any:
    """A valid body with one or two mutations: a field set to any value, dropped, or an unknown field added."""
    import copy

    body = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(PATHS + [("account", "surprise"), ("posts", 0, "oops"), ("extra",), ("posts",)]))
        target = body
        for key in path[:-1]:
            inside = isinstance(target, dict) and key in target or isinstance(target, list) and len(target) > key
            target = target[key] if inside else None
        if not isinstance(target, dict):
            continue  # An earlier mutation replaced the container.
        if draw(st.booleans()) and path[-1] in target:
            del target[path[-1]]
        elif path in KIND_OF and draw(st.booleans()):
            target[path[-1]] = draw(BY_KIND[KIND_OF[path].kind])
        else:
            target[path[-1]] = draw(values)
    return body


@settings(max_examples=1500, deadline=None)
@given(body=bodies())
def test_fastpath_accepts_only_what_schema_accepts(body: Any) -> None:
    encoded = json.dumps(body).encode()
    try:
        fast = FAST.convert(body, NOW)
    except NotFast:
        fast = None
    try:
        decoded = FAST.decode(encoded, NOW)
    except NotFast:
        decoded = None
    # Decoding the bytes and converting the parsed body are the same check.
    assert (fast is None) == (decoded is None)
    if fast is None:
        return
    try:
        slow = SCHEMA.load(body)
    except ValidationError as exc:
        raise AssertionError(f"fast path accepted what the schema rejects: {exc.messages}") from exc
    expected = prepare(slow, now=NOW)
    assert fast == expected
    assert decoded == expected


def test_fastpath_takes_valid_bodies() -> None:
    body = {
        "account": {"id": "1", "followers_count": 3, "lang": "en"},
        "posts": [{"created_at": "2020-01-01T00:00:00Z", "hashtags": ["a"], "is_retweet": True}],
    }
    expected = prepare(SCHEMA.load(body), now=NOW)
    assert FAST.convert(body, NOW) == expected
    assert FAST.decode(json.dumps(body).encode(), NOW) == expected


def test_fastpath_batch_refuses_bad_envelopes() -> None:
    items = FAST.batch(b'{"accounts": [{"account": {"id": "1"}}, 5, "x"]}')
    assert [bytes(i) for i in items] == [b'{"account": {"id": "1"}}', b"5", b'"x"']
    for bad in (b'{"accounts": []}', b'{"accounts": [1, 2, 3, 4, 5, 6]}', b'{"accounts": [], "x": 1}', b"[1]", b"{"):
        with pytest.raises(NotFast):
            FAST.batch(bad)
