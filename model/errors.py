"""Every failure the service names, raised by the model library, the store and the adapters alike.

They carry no status: ``model.problems`` maps each to its problem object, the one table the HTTP
responses, the CLI's errors files and Spark's error rows share.
"""


class BotlensError(Exception):
    """Base class of every error the model library raises on purpose."""


class InvalidRecordError(BotlensError, ValueError):
    """A request-shaped record cannot be turned into an account and its posts."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ModelNotLoadedError(BotlensError):
    """Scoring was asked for while no model is loaded."""


class ArtifactError(BotlensError):
    """A model artifact is missing, unsigned, fails its signature or checksum, or does not match this code.

    ``reason`` is a short code that names the failure without file paths (safe to show publicly).
    """

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


class MalformedInputError(BotlensError, ValueError):
    """A body or record is not parseable JSON."""


class RequestValidationError(BotlensError, ValueError):
    """A request does not match the contract; ``errors`` maps field paths to messages."""

    def __init__(
        self, errors: dict[str, list[str]], detail: str = "The request body does not match the schema."
    ) -> None:
        super().__init__(detail)
        self.errors = dict(errors)
        self.detail = detail


class UnsupportedMediaType(BotlensError):
    """A body not sent as JSON, or in a content encoding other than identity or gzip."""


class AuthenticationRequired(BotlensError):
    """No key, a malformed key or a wrong key, where keys are required."""


class KeyRevoked(BotlensError):
    """A correct key that has been revoked."""


class ScopeRequired(BotlensError):
    """A valid key without the scope the action needs."""


class QuotaNeverFits(BotlensError):
    """A request that costs more than the key's whole quota per minute: no wait would let it through."""


class NotStored(BotlensError, LookupError):
    """No stored result (or nothing to delete) for the account asked about."""


class StoreUnavailable(BotlensError):
    """The database cannot be reached, written or read (down, full, locked too long, unmigratable)."""


class StoreDisabled(BotlensError):
    """A store action was asked of a service running without a store (STORE_ENABLED off)."""


class XrpcInvalidRequest(BotlensError, ValueError):
    """An AT Protocol (XRPC) request with bad parameters; ``xrpc_error`` is the protocol's error name."""

    def __init__(self, message: str, xrpc_error: str = "InvalidRequest") -> None:
        super().__init__(message)
        self.xrpc_error = xrpc_error


class WebhookSignatureInvalid(BotlensError):
    """A webhook delivery whose signature header does not match its body under the shared secret."""


class FeatureNotConfigured(BotlensError):
    """A route of an integration the operator has not configured (the labeler, a webhook receiver)."""


class ServerBusy(BotlensError):
    """The server holds as many long-lived connections (label streams) as it may."""
