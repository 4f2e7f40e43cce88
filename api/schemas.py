"""Marshmallow schemas of the v1 contract: requests are validated here, responses are documented here."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from model.errors import InvalidRecordError
from model.platforms import FORMATS
from model.records import parse_timestamp

INT64_MAX = 2**63 - 1
# Nothing any supported platform published predates 2006 (Twitter's launch year).
MIN_TIMESTAMP = 1136073600.0  # 2006-01-01T00:00:00Z
# Clock skew tolerated for posts after observed_at, and for observed_at after the server clock.
SKEW_SECONDS = 86400.0


@dataclass(frozen=True, slots=True)
class Limits:
    """Input limits; each is a Config key (``MAX_<NAME>``) and enforced with a 4xx."""

    posts: int = 1000
    batch: int = 1000
    text_length: int = 10_000
    string_length: int = 1_000
    list_length: int = 200


class Timestamp(fields.DateTime):
    """RFC 3339 timestamp, loaded as UTC epoch seconds (offsets normalised), within 2006..now+1 day."""

    default_error_messages = {
        "invalid": "Not a valid RFC 3339 timestamp.",
        "range": "Timestamp must be between 2006-01-01 and one day after the server's clock.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            epoch = parse_timestamp(value)
        except InvalidRecordError as exc:
            raise self.make_error("invalid") from exc
        if not MIN_TIMESTAMP <= epoch <= time.time() + SKEW_SECONDS:
            raise self.make_error("range")
        return epoch


class StrictBoolean(fields.Boolean):
    """JSON true or false only (no 0/1, no strings)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _count(description: str) -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=INT64_MAX),
                          metadata={"description": description})


def make_request_schemas(limits: Limits) -> tuple[type[Schema], type[Schema], type[Schema]]:
    """Builds the account, score-request and batch-request schemas for the given limits."""

    def string(description: str, max_length: int = limits.string_length) -> fields.String:
        return fields.String(allow_none=True, validate=validate.Length(max=max_length), metadata={"description": description})

    def strings(description: str) -> fields.List:
        return fields.List(fields.String(validate=validate.Length(max=limits.string_length)), allow_none=True,
                           validate=validate.Length(max=limits.list_length), metadata={"description": description})

    class AccountSchema(Schema):
        """Profile metadata of one account."""

        id = fields.String(required=True, validate=validate.Length(min=1, max=limits.string_length),
                           metadata={"description": "Platform account id."})
        platform = fields.String(load_default="twitter", validate=validate.Length(min=1, max=64),
                                 metadata={"description": "Platform name, default twitter."})
        screen_name = string("Handle without @.")
        name = string("Display name.")
        description = string("Profile bio.", limits.text_length)
        location = string("Free-text location.")
        url = string("Profile link.")
        lang = fields.String(allow_none=True, validate=validate.Length(max=35),
                             metadata={"description": "Short language code (en, en-gb, in ...)."})
        created_at = Timestamp(allow_none=True, metadata={"description": "Account creation time, RFC 3339."})
        followers_count = _count("Followers.")
        friends_count = _count("Accounts followed.")
        statuses_count = _count("Lifetime posts.")
        favourites_count = _count("Likes given.")
        listed_count = _count("Lists the account is on.")
        verified = StrictBoolean(allow_none=True)
        default_profile = StrictBoolean(allow_none=True)
        default_profile_image = StrictBoolean(allow_none=True)
        protected = StrictBoolean(allow_none=True)

    class PostSchema(Schema):
        """One post of the account's recent activity."""

        created_at = Timestamp(required=True, metadata={"description": "Post time, RFC 3339."})
        id = string("Post id.")
        text = string("Post text.", limits.text_length)
        source = string("Posting client, e.g. Twitter Web App.")
        lang = fields.String(allow_none=True, validate=validate.Length(max=35), metadata={"description": "Short language code."})
        is_retweet = StrictBoolean(load_default=False, allow_none=True)
        is_reply = StrictBoolean(load_default=False, allow_none=True)
        is_quote = StrictBoolean(load_default=False, allow_none=True)
        hashtags = strings("Hashtags without #.")
        mentions = strings("Mentioned handles.")
        urls = strings("Linked URLs (expanded where known).")
        retweet_count = _count("Reposts received.")
        like_count = _count("Likes received.")
        reply_count = _count("Replies received.")

    class ScoreRequestSchema(Schema):
        """One account and its recent activity."""

        account = fields.Nested(AccountSchema, required=True)
        posts = fields.List(fields.Nested(PostSchema), load_default=list,
                            validate=validate.Length(max=limits.posts),
                            metadata={"description": f"0..{limits.posts} posts, any order."})
        observed_at = Timestamp(allow_none=True, metadata={
            "description": "Snapshot time; default the newest post's time, else now."})

        @validates_schema(skip_on_field_errors=True)
        def _posts_not_after_observation(self, data: dict[str, Any], **kwargs: Any) -> None:
            observed = data.get("observed_at")
            if observed is None:
                return
            late = {f"{i}": {"created_at": ["Post is dated more than one day after observed_at."]}
                    for i, post in enumerate(data.get("posts") or []) if post["created_at"] > observed + SKEW_SECONDS}
            if late:
                raise ValidationError({"posts": late})

    class BatchRequestSchema(Schema):
        """Up to the batch limit of score requests, each validated on its own."""

        accounts = fields.List(AccountSlot(), required=True,
                               validate=validate.Length(min=1, max=limits.batch),
                               metadata={"description": f"1..{limits.batch} score requests."})

    return AccountSchema, ScoreRequestSchema, BatchRequestSchema


class AccountSlot(fields.Field):
    """A batch item: documented as a score request in any format, loaded raw so each is validated in its own slot."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return value


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

    format = fields.String(load_default="native", validate=validate.OneOf(FORMATS), metadata={
        "description": "native (default), or a platform's own payload: " + ", ".join(FORMATS[1:]) + "."})


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


def _per_class(field_factory: Any) -> dict[str, fields.Field]:
    return {name: field_factory() for name in ("bot", "troll", "hijacked")}


ScoresSchema = Schema.from_dict(
    _per_class(lambda: fields.Float(required=True, validate=validate.Range(0, 1))), name="Scores")
ExplanationsSchema = Schema.from_dict(
    _per_class(lambda: fields.Nested(HeadExplanationSchema, required=True)), name="Explanations")


class ScoreResponseSchema(Schema):
    """Scores, label and explanations for one account."""

    account_id = fields.String(required=True)
    platform = fields.String(required=True)
    model_version = fields.String(required=True)
    observed_at = fields.String(required=True, metadata={"description": "Snapshot time used, RFC 3339 UTC."})
    n_posts = fields.Integer(required=True)
    scores = fields.Nested(ScoresSchema, required=True, metadata={"description": "Calibrated probabilities; not exclusive."})
    label = fields.String(required=True, validate=validate.OneOf(["bot", "troll", "hijacked", "human"]))
    explanations = fields.Nested(ExplanationsSchema, required=True)
    warnings = fields.List(fields.String(), required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "Messages per field path, e.g. posts.3.created_at."})


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
