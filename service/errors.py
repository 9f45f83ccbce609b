"""Errors of the service layer. They are translated to HTTP responses (app.py) and CLI messages (cli.py) at the
edge, in one place each; everything below raises these or the ingest/index layers' own errors."""


class ServiceError(Exception):
    """Base class for errors raised by the service layer."""


class NotFoundError(ServiceError):
    """A document or passage id that the index does not hold."""


class BadRequestError(ServiceError):
    """A request that passed schema validation but cannot be served as asked."""


class PromptError(ServiceError):
    """A prompt template is missing, or its {variables} are not exactly the expected ones."""


class LLMError(ServiceError):
    """The language-model endpoint gave no usable answer; callers fall back to the extractive answer."""


class LLMTimeoutError(LLMError):
    """The endpoint did not answer within the configured timeout."""


class LLMConnectionError(LLMError):
    """The endpoint could not be reached (refused, DNS, reset)."""


class LLMHTTPError(LLMError):
    """The endpoint answered with an HTTP error status or a body that is not a chat completion."""


class LLMEmptyResponseError(LLMError):
    """The endpoint answered, but with no text."""


class LLMRefusalError(LLMError):
    """The model declined to answer (an OpenAI `refusal` or a `content_filter` finish)."""


class UnauthorizedError(ServiceError):
    """No API key, or one the server does not know (401)."""


class ForbiddenError(ServiceError):
    """A valid key whose role does not allow the action (403)."""


class RateLimitedError(ServiceError):
    """Too many requests from one key (429); `retry_after` is in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLargeError(ServiceError):
    """A request body or uploaded file over the configured limit (413)."""


class UnsupportedUploadError(ServiceError):
    """An uploaded file whose content is none of the accepted types (415)."""


class UnreadableUploadError(ServiceError):
    """An uploaded file of an accepted type that cannot be read: encrypted, damaged, empty, a zip bomb (422)."""


class ConflictError(ServiceError):
    """The upload would overwrite a document without `replace=true` (409)."""


class StorageError(ServiceError):
    """The corpus or data folder cannot be written: `status` 507 when the disk is full, 503 when read-only."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
