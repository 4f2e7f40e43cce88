"""Marshmallow schemas of the v1 HTTP contract: requests (derived from ``model.contract``) and responses."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from model.contract import Limits
from model.heads import HEADS, LABELS
from model.platforms import FORMATS
from model.validation import make_request_schemas


class _Payload(Schema):
    """A platform's own API payload: only the named parts are read, everything else is ignored."""

    class Meta:
        unknown = INCLUDE

    observed_at = fields.String(allow_none=True, metadata={"description": "Snapshot time, RFC 3339."})


class TwitterV1PayloadSchema(_Payload):
    """format=twitter-v1: a v1.1 user object and its user_timeline statuses."""

    user = fields.Dict(required=True)
    statuses = fields.List(fields.Dict())


class TwitterV2PayloadSchema(_Payload):
    """format=twitter-v2: a v2 user (or its lookup response) and tweets (a list or the timeline response)."""

    user = fields.Dict(required=True)
    tweets = fields.Raw(metadata={"description": "Array of tweets, or the response object with data and includes."})


class MastodonPayloadSchema(_Payload):
    """format=mastodon: an Account and its Statuses."""

    account = fields.Dict(required=True)
    statuses = fields.List(fields.Dict())


class BlueskyPayloadSchema(_Payload):
    """format=bluesky: getProfile (or getProfiles) and getAuthorFeed responses."""

    profile = fields.Dict(required=True)
    feed = fields.Raw(metadata={"description": "Array of feed items, or the getAuthorFeed response."})


PAYLOAD_SCHEMAS = (TwitterV1PayloadSchema, TwitterV2PayloadSchema, MastodonPayloadSchema, BlueskyPayloadSchema)


class FormatQuerySchema(Schema):
    """Which shape the body (or each batch item) has."""

    format = fields.String(
        load_default="native",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "native (default), or a platform's own payload: " + ", ".join(FORMATS[1:]) + "."},
    )


AccountSchema, ScoreRequestSchema, BatchRequestSchema = make_request_schemas(Limits())


class FeatureExplanationSchema(Schema):
    """One feature's part in a head's score."""

    feature = fields.String(required=True)
    value = fields.Float(allow_none=True, metadata={"description": "The account's value; null when unavailable."})
    contribution = fields.Float(required=True, metadata={"description": "Log-odds contribution (TreeSHAP)."})
    reason = fields.String(required=True)


class HeadExplanationSchema(Schema):
    """Why a head scored what it did: base value plus contributions equals raw_score (log-odds)."""

    base_value = fields.Float(required=True)
    raw_score = fields.Float(required=True)
    top_features = fields.List(fields.Nested(FeatureExplanationSchema), required=True)


ScoresSchema = Schema.from_dict(
    {
        h.name: fields.Float(required=True, validate=validate.Range(0, 1), metadata={"description": h.description})
        for h in HEADS
    },
    name="Scores",
)
ExplanationsSchema = Schema.from_dict(
    {h.name: fields.Nested(HeadExplanationSchema, required=True) for h in HEADS}, name="Explanations"
)


class ScoreResponseSchema(Schema):
    """Scores, label and explanations for one account."""

    account_id = fields.String(required=True)
    platform = fields.String(required=True)
    model_version = fields.String(required=True)
    observed_at = fields.String(required=True, metadata={"description": "Snapshot time used, RFC 3339 UTC."})
    n_posts = fields.Integer(required=True)
    scores = fields.Nested(
        ScoresSchema, required=True, metadata={"description": "Calibrated probabilities; not exclusive."}
    )
    label = fields.String(required=True, validate=validate.OneOf(LABELS))
    explanations = fields.Nested(ExplanationsSchema, required=True)
    warnings = fields.List(fields.String(), required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Messages per field path, e.g. posts.3.created_at."},
    )
    index = fields.Integer(
        metadata={"description": "In a batch result slot: the 0-based position of the refused item."}
    )


class BatchSlot(fields.Field):
    """A batch result slot: the account's score response, or a problem object for that account."""


class BatchResponseSchema(Schema):
    """One slot per submitted account, in input order."""

    results = fields.List(BatchSlot(), required=True)


class HealthSchema(Schema):
    """Liveness or readiness."""

    status = fields.String(required=True)
    model_version = fields.String(allow_none=True)
    detail = fields.String()


class ModelCardSchema(Schema):
    """The model card: data, metrics, thresholds, features, versions."""

    class Meta:
        unknown = "include"

    version = fields.String(required=True)
    trained_at = fields.String(required=True)
    classes = fields.List(fields.String(), required=True)
    thresholds = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    features = fields.List(fields.Dict(), required=True)
    heads = fields.List(fields.Dict(), required=True)
    training_data = fields.Dict(required=True)
    library_versions = fields.Dict(required=True)
