"""Service configuration: defaults here, overridden by ``BOTLENS_<KEY>`` environment variables at app creation."""

from __future__ import annotations

from model.contract import DEFAULT_LIMITS
from model.scoring import DEFAULT_ARTIFACT, DEFAULT_CARD, DEFAULT_PUBLIC_KEY
from store.settings import DEFAULTS as STORE

ENV_PREFIX = "BOTLENS"


class Config:
    """Every key can be set as ``BOTLENS_<KEY>`` (values are parsed as JSON when they can be)."""

    # Model artifact (joblib) and the model card that records its sha256; the service loads nothing else.
    MODEL_PATH: str = str(DEFAULT_ARTIFACT)
    MODEL_CARD_PATH: str = str(DEFAULT_CARD)
    # The ed25519 public key model cards must be signed with (<card>.sig); the shipped model's by default.
    MODEL_PUBLIC_KEY_PATH: str | None = str(DEFAULT_PUBLIC_KEY)
    # Development only: load a model whose card is not signed (its checksum is still checked).
    ALLOW_UNSIGNED_MODELS: bool = False
    # Largest request body in bytes (413 above it): a full batch of profile-only accounts or about
    # 100 accounts of 200 posts.
    MAX_CONTENT_LENGTH: int = 32 * 1024 * 1024
    # Posts per account, accounts per batch, characters per text (post text, bio) and per other string,
    # items per list (hashtags, mentions, urls of one post). Above each: 422 naming the field. The
    # defaults are the contract's (model.contract.Limits).
    MAX_POSTS: int = DEFAULT_LIMITS.posts
    MAX_BATCH: int = DEFAULT_LIMITS.batch
    MAX_TEXT_LENGTH: int = DEFAULT_LIMITS.text_length
    MAX_STRING_LENGTH: int = DEFAULT_LIMITS.string_length
    MAX_LIST_LENGTH: int = DEFAULT_LIMITS.list_length
    # Accounts per POST /v1/coordination (also bounded by MAX_CONTENT_LENGTH).
    MAX_COORDINATION_ACCOUNTS: int = DEFAULT_LIMITS.coordination_accounts
    # Features reported per class in explanations.
    TOP_FEATURES: int = 5
    # API keys: off for local use. When on, the scoring routes need 'Authorization: Bearer <key>' or
    # 'X-API-Key: <key>'; keys (salted hashes, see api/auth.py) come from a JSON file and/or inline JSON.
    AUTH_ENABLED: bool = False
    API_KEYS_FILE: str | None = None
    API_KEYS: str | list | None = None
    # Quotas (accounts per minute; a batch counts each account). Keys carry their own quota; requests
    # without a key (auth off) get this one, 0 = unlimited. Storage: unset = a SQLite file in STATE_DIR
    # that every worker of this instance shares (exact across workers); redis://host:6379 to share
    # quotas between instances; memory:// counts per process (one worker only).
    ANONYMOUS_QUOTA_PER_MINUTE: int = 0
    RATELIMIT_STORAGE_URI: str | None = None
    # Folder for files the workers of one instance share: the quota counters and the last verified
    # model and readable keys (the fallbacks when a reload brings a bad file). api.server makes a
    # fresh one per start when unset (kept across HUPs); an app created outside gunicorn makes its own.
    STATE_DIR: str | None = None
    # Score store: every scored result is kept (scores, label, top reasons; never post text or bios) for
    # lookups by account and handle. STORE_URL: unset = an embedded SQLite file in STORE_DIR;
    # postgresql://user:pass@host/db for PostgreSQL. Writes happen behind the response; a store that is
    # down or too far behind never fails a score (the result says it was not stored).
    STORE_ENABLED: bool = STORE.enabled
    STORE_URL: str | None = STORE.url
    # The instance's data folder: the embedded store and the workers' journals of acknowledged results
    # (kept across restarts, unlike STATE_DIR): unset = botlens-data in the directory the instance starts in.
    STORE_DIR: str | None = STORE.folder
    # Results older than this many days are deleted by `botlens store prune` (0 = keep them all).
    STORE_RETENTION_DAYS: float = STORE.retention_days
    # Results a worker may hold unwritten before it stops accepting more (each result says it was not stored).
    STORE_MAX_PENDING: int = STORE.max_pending
    # Bluesky labeler (AT Protocol): with a DID and a secp256k1 key (`botlens labeler keygen`), the
    # service publishes signed labels (likely-bot, likely-troll, possibly-hijacked) for the Bluesky
    # accounts it stores, on the public /xrpc/com.atproto.label.queryLabels and subscribeLabels routes.
    # LABELER_URL is the public address those routes answer on (the DID document's service endpoint).
    LABELER_DID: str | None = None
    LABELER_KEY_FILE: str | None = None
    LABELER_URL: str | None = None
    # Open subscribeLabels streams per worker (each holds a thread; more get a 503).
    LABELER_MAX_SUBSCRIBERS: int = 16
    # Mastodon admin webhooks (report.created, account.created) at POST /v1/webhooks/mastodon: the
    # webhook's secret (X-Hub-Signature is checked against it; unset = the route answers 404). With the
    # server's URL and an admin token (admin:write:reports), each scored report gets a note.
    MASTODON_WEBHOOK_SECRET: str | None = None
    MASTODON_URL: str | None = None
    MASTODON_ADMIN_TOKEN: str | None = None
    # Browser origins allowed to call /v1/* (e.g. "chrome-extension://<id>"); empty = no CORS headers.
    CORS_ORIGINS: list[str] = []
    # Reverse proxies in front (deploy/nginx.conf: 1) whose X-Forwarded-For the app trusts for the
    # client's address (anonymous quotas, logs); 0 = clients connect directly.
    PROXY_HOPS: int = 0
    # Level of the JSON logs (request bodies are never logged).
    LOG_LEVEL: str = "INFO"
    # flask-smorest: metadata of the generated spec (no docs UI routes are registered).
    API_TITLE: str = "botlens account-integrity scoring"
    API_VERSION: str = "1.0.0"
    OPENAPI_VERSION: str = "3.0.3"
    JSON_SORT_KEYS: bool = False
