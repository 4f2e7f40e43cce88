"""Marshmallow schemas of the v1 HTTP contract: requests (derived from ``model.contract``) and responses."""

from __future__ import annotations

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from model.contract import DEFAULT_LIMITS, PLATFORM_LENGTH, Limits
from model.coordination import BEHAVIOURS
from model.heads import BOT_TYPES, CLASS_LABELS, HEADS, LABELS, TYPE_NAMES
from model.platforms import FORMATS
from model.validation import AccountSlot, BoundedList, make_request_schemas


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
    """format=twitter-v2: a v2 user (or its lookup response) and tweets (a list or the timeline response);
    without user, the timeline response's includes.users names its author."""

    user = fields.Dict()
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


# One instance for every request: flask-smorest would build a schema object per request from the class.
FORMAT_QUERY = FormatQuerySchema()


_, ScoreRequestSchema, BatchRequestSchema = make_request_schemas(Limits())


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


TypeScoresSchema = Schema.from_dict(
    {
        t.name: fields.Float(required=True, validate=validate.Range(0, 1), metadata={"description": t.description})
        for t in BOT_TYPES
    },
    name="TypeScores",
)


class TypeExplanationSchema(HeadExplanationSchema):
    """Why the leading type leads: base value plus contributions equals raw_score (log-odds)."""

    type = fields.String(required=True, validate=validate.OneOf(TYPE_NAMES))


class BotTypesSchema(Schema):
    """Which kind of bot the account resembles, among bots: a calibrated probability per type (one-vs-rest,
    not exclusive, and no judgement of whether it is a bot: that is scores.bot)."""

    scores = fields.Nested(TypeScoresSchema, required=True)
    leading = fields.String(required=True, validate=validate.OneOf(TYPE_NAMES))
    explanation = fields.Nested(TypeExplanationSchema, required=True)


class EvidenceSummarySchema(Schema):
    """Which of the fields the scores read the request carried; absent ones count as unknown."""

    fields_used = fields.List(fields.String(), required=True)
    fields_absent = fields.List(fields.String(), required=True)
    share = fields.Float(required=True, validate=validate.Range(0, 1))


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
    label = fields.String(
        required=True,
        validate=validate.OneOf(LABELS),
        metadata={
            "description": "The class whose score most exceeds its threshold, else human; unknown when the "
            "request carried too little (evidence.share) to say."
        },
    )
    explanations = fields.Nested(ExplanationsSchema, required=True)
    bot_types = fields.Nested(BotTypesSchema, required=True)
    evidence = fields.Nested(EvidenceSummarySchema, required=True)
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


# Score store routes.
NOTE_LENGTH = 2000
LOOKUP_LIMIT = 1000


class StoredResultSchema(Schema):
    """A stored result: scores, label and the top reasons of each head (no text is stored)."""

    platform = fields.String(required=True)
    account_id = fields.String(required=True)
    screen_name = fields.String(allow_none=True, required=True)
    model_version = fields.String(required=True)
    observed_at = fields.String(required=True, metadata={"description": "Snapshot time scored, RFC 3339 UTC."})
    scored_at = fields.String(required=True, metadata={"description": "When it was scored, RFC 3339 UTC."})
    n_posts = fields.Integer(required=True)
    label = fields.String(required=True, validate=validate.OneOf(LABELS))
    scores = fields.Nested(ScoresSchema, required=True)
    reasons = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Per head, its strongest reasons in words (at most 3)."},
    )
    bot_type = fields.String(
        allow_none=True,
        required=True,
        validate=validate.OneOf(TYPE_NAMES),
        metadata={"description": "The leading bot type; null for results stored before types were scored."},
    )
    bot_types = fields.Nested(TypeScoresSchema, allow_none=True, required=True)
    key_id = fields.String(
        allow_none=True,
        metadata={
            "description": "In a history only: the id of the API key that sent the account to be scored (null when "
            "keys were off or it came from the CLI)."
        },
    )


class HistorySchema(Schema):
    """Every stored result of one account, oldest first."""

    results = fields.List(fields.Nested(StoredResultSchema), required=True)


class HistoryQuerySchema(Schema):
    """Latest result, or the whole history."""

    history = fields.Boolean(
        load_default=False, metadata={"description": "true: every stored result of the account in time order."}
    )


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _platform() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(1, PLATFORM_LENGTH),
        metadata={"description": "Platform name as scored (twitter, mastodon, bluesky ...)."},
    )


class LookupItemSchema(_Strict):
    """One account to look up: by platform id or by handle (case-insensitive), not both."""

    platform = _platform()
    id = fields.String(validate=validate.Length(1, DEFAULT_LIMITS.string_length))
    screen_name = fields.String(validate=validate.Length(1, DEFAULT_LIMITS.string_length))

    @validates_schema
    def _one_key(self, data: dict[str, object], **_: object) -> None:
        if ("id" in data) == ("screen_name" in data):
            raise ValidationError("Give exactly one of id and screen_name.", "_schema")


class LookupRequestSchema(_Strict):
    """Accounts to look up, each answered in its own slot."""

    accounts = BoundedList(fields.Raw(), required=True, min_items=1, max_items=LOOKUP_LIMIT)


class LookupSlot(fields.Field):
    """A lookup slot: the stored result, or a problem object (404 never scored, 422 malformed item)."""


class LookupResponseSchema(Schema):
    """One slot per account asked about, in input order."""

    results = fields.List(LookupSlot(), required=True)


class FeedbackRequestSchema(_Strict):
    """An analyst's label for an account."""

    platform = _platform()
    account_id = fields.String(required=True, validate=validate.Length(1, DEFAULT_LIMITS.string_length))
    label = fields.String(required=True, validate=validate.OneOf(CLASS_LABELS))
    note = fields.String(
        allow_none=True, validate=validate.Length(max=NOTE_LENGTH), metadata={"description": "Why, in a few words."}
    )


class FeedbackSchema(Schema):
    """Stored feedback, with the label the service had given the account."""

    id = fields.Integer(required=True)
    platform = fields.String(required=True)
    account_id = fields.String(required=True)
    label = fields.String(required=True)
    note = fields.String(allow_none=True)
    key_name = fields.String(allow_none=True, metadata={"description": "Name of the API key that sent it."})
    key_id = fields.String(allow_none=True, metadata={"description": "Id of the API key that sent it."})
    created_at = fields.String(required=True)
    stored_label = fields.String(allow_none=True, metadata={"description": "Null if the account was never scored."})
    stored_model_version = fields.String(allow_none=True)


class DeletedSchema(Schema):
    """What a deletion removed."""

    results = fields.Integer(required=True)
    feedback = fields.Integer(required=True)


# Coordination.
MAX_WINDOW_SECONDS = 7 * 86400


def coordination_request_schema(max_accounts: int) -> type[Schema]:
    """The coordination body for a limit of accounts (``MAX_COORDINATION_ACCOUNTS``)."""

    class CoordinationRequestSchema(_Strict):
        """Accounts to search for coordinated groups, each validated on its own (a bad one gets its own slot)."""

        accounts = BoundedList(
            AccountSlot(),
            required=True,
            min_items=2,
            max_items=max_accounts,
            metadata={"description": f"2..{max_accounts} score requests (native or, with ?format=, payloads)."},
        )
        window_seconds = fields.Float(
            load_default=None,
            allow_none=True,
            validate=validate.Range(0, MAX_WINDOW_SECONDS),
            metadata={"description": "Accounts co-act when they do the same thing at most this far apart."},
        )
        min_group_size = fields.Integer(
            load_default=3,
            validate=validate.Range(2, max_accounts),
            metadata={"description": "Smallest group reported."},
        )

    return CoordinationRequestSchema


CoordinationRequestSchema = coordination_request_schema(DEFAULT_LIMITS.coordination_accounts)


class EvidenceSchema(Schema):
    """One behaviour a group shared."""

    behaviour = fields.String(required=True, validate=validate.OneOf(BEHAVIOURS))
    shared = fields.String(
        required=True,
        metadata={
            "description": "The action most of the group shared: a post, hashtag, link domain or text; for "
            "synchronised_activity, the busiest minute and how many members posted in it."
        },
    )
    accounts = fields.Integer(required=True, metadata={"description": "Members that took part."})
    posts = fields.Integer(
        required=True,
        metadata={
            "description": "Their posts that took part (synchronised_activity: posts in minutes two members shared)."
        },
    )
    window_seconds = fields.Float(
        required=True, metadata={"description": "How close in time counts as together (60 for synchronised_activity)."}
    )
    first_at = fields.String(required=True)
    last_at = fields.String(required=True)


class GroupSchema(Schema):
    """A coordinated group with its evidence and reasons in words."""

    id = fields.String(required=True)
    accounts = fields.List(fields.String(), required=True)
    score = fields.Float(required=True, validate=validate.Range(0, 1))
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    reasons = fields.List(fields.String(), required=True)


class AccountCoordinationSchema(Schema):
    """One account's coordination score and group."""

    account_id = fields.String(required=True)
    coordination = fields.Float(
        required=True,
        validate=validate.Range(0, 1),
        metadata={
            "description": "Above 0.5: in a coordinated group; within each half, more shared actions rank higher."
        },
    )
    group = fields.String(required=True, allow_none=True)


class CoordinationSlot(fields.Field):
    """A coordination slot: the account's score and group, or a problem object for that account."""


class CoordinationResponseSchema(Schema):
    """One slot per input account, and the groups, strongest first."""

    accounts = fields.List(CoordinationSlot(), required=True)
    groups = fields.List(fields.Nested(GroupSchema), required=True)
