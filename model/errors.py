"""Domain errors raised by the model library; they carry no HTTP status (the API maps them)."""


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
