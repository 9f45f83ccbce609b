"""Errors raised by the index layer; the CLI and API translate them at their edge."""


class IndexLayerError(Exception):
    """Base class: the embedding model or the persisted index cannot be used."""


class ModelUnavailableError(IndexLayerError):
    """The embedding model is not available locally and will not be downloaded."""


class IndexMissingError(IndexLayerError):
    """No persisted index exists at the given location; run ingest first."""


class IndexIncompatibleError(IndexLayerError):
    """The persisted index was built with another embedder, dimension or format version."""


class IndexCorruptError(IndexLayerError):
    """The persisted index files are unreadable or disagree with each other."""


class IndexBusyError(IndexLayerError):
    """Another ingest holds the index's write lock; the message names who holds it."""


class SearchEngineUnavailableError(IndexLayerError):
    """The configured search engine (a Milvus server or milvus-lite file) cannot be reached or opened."""
