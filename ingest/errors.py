"""Errors raised by the ingest layer; the CLI and API translate them at their edge."""


class IngestError(Exception):
    """Base class: a file could not be turned into a Document."""


class UnsupportedFormatError(IngestError):
    """The file's extension is not one we can load (.txt, .md, .pdf, .docx, .html)."""


class EmptyDocumentError(IngestError):
    """The file holds no extractable text (empty, or a scanned PDF without a text layer)."""


class EncryptedDocumentError(IngestError):
    """The PDF is encrypted and cannot be read without a password."""


class CorruptDocumentError(IngestError):
    """The file is damaged or not what its extension says."""


class MetadataError(IngestError):
    """A sidecar metadata file is malformed."""
