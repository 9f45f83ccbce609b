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
