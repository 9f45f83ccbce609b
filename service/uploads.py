"""Files added through the API: what they really are, whether they can be read, and storing them safely.

An upload is checked completely before anything is written: its type is sniffed from the bytes (the name's
extension is not trusted), a DOCX is checked for zip bombs before it is unpacked, HTML loses its active content,
and the file is parsed by the same ingest code the index uses, so an encrypted, damaged or empty file is
rejected with the reason while the corpus folder stays as it was. Storing is atomic (a hidden temp file renamed
into place) and never overwrites without `replace`."""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from ingest.errors import IngestError
from ingest.pipeline import SUPPORTED_EXTENSIONS, ingest_file
from service.errors import (
    BadRequestError,
    ConflictError,
    PayloadTooLargeError,
    StorageError,
    UnreadableUploadError,
    UnsupportedUploadError,
)

# A DOCX is a zip: beyond these its unpacking is refused (a few KB can unpack to gigabytes).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_ENTRIES = 5000
MAX_NAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\- ]+")
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_EVENT_ATTRIBUTE = re.compile(r"^on", re.IGNORECASE)
_ACTIVE_TAGS = ("script", "iframe", "object", "embed", "applet", "link", "meta", "base")
# Which sniffed kinds a name's extension may claim: .md and .txt are both plain text.
_FAMILY = {".pdf": ".pdf", ".docx": ".docx", ".html": ".html", ".htm": ".html", ".txt": ".txt", ".md": ".txt"}


@dataclass(frozen=True)
class Upload:
    """A checked upload, ready to store: a safe file name with the extension of what the bytes are."""

    name: str
    data: bytes
    kind: str  # .pdf, .docx, .html or .txt
    note: str = ""  # what was changed on the way in (e.g. scripts removed)


def check_upload(original_name: str, data: bytes, max_bytes: int) -> Upload:
    """Sniffs, limits, sanitises and parses one uploaded file; raises a ServiceError subclass naming the problem."""
    shown = original_name or "(no name)"
    if len(data) > max_bytes:
        raise PayloadTooLargeError(
            f"{shown}: {len(data) / 1e6:.1f} MB is over the upload limit of {max_bytes // (1024 * 1024)} MB "
            "(AFTALER_MAX_UPLOAD_MB); split the file or ask the administrator to raise the limit"
        )
    if not data.strip():
        raise UnreadableUploadError(f"{shown}: the file is empty; upload a file with text")
    kind = sniff(data)
    claimed = _FAMILY.get(Path(original_name).suffix.lower())
    if kind is None:
        accepted = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise UnsupportedUploadError(f"{shown}: the content is none of the accepted types ({accepted})")
    if claimed is not None and claimed != kind:
        raise UnsupportedUploadError(
            f"{shown}: named as {Path(original_name).suffix.lower()} but the content is {kind}; "
            "rename it or upload the right file"
        )
    note = ""
    if kind == ".docx":
        check_zip(shown, data)
    elif kind == ".html":
        data, removed = without_active_content(data)
        note = f"removed {removed} script or active element(s)" if removed else ""
    # .md keeps its own extension (Markdown headings are read as headings); other names get the sniffed one.
    suffix = ".md" if kind == ".txt" and Path(original_name).suffix.lower() == ".md" else kind
    upload = Upload(safe_name(original_name, suffix), data, kind, note)
    parse_check(upload)
    return upload


def sniff(data: bytes) -> str | None:
    """The accepted type the bytes are, by their content: .pdf, .docx, .html, .txt, or None."""
    head = data[:2048]
    if head.lstrip()[:5] == b"%PDF-":
        return ".pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return ".docx" if "word/document.xml" in archive.namelist() else None
        except zipfile.BadZipFile:
            return None
    text = _as_text(data)
    if text is None:
        return None
    return ".html" if _HTML_START.match(data[:4096].lstrip(b"\xef\xbb\xbf")) else ".txt"


def _as_text(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        # Windows-1252 Danish text decodes; binary noise is full of control characters.
        controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
        return text if controls <= len(text) / 100 else None


def check_zip(shown: str, data: bytes) -> None:
    """Refuses a zip whose unpacked size, compression ratio or entry count would hurt the server."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile as error:
        raise UnreadableUploadError(f"{shown}: the DOCX is damaged ({error}); save it again and re-upload") from None
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_COMPRESSION_RATIO * len(data):
        raise UnreadableUploadError(
            f"{shown}: the DOCX would unpack to {unpacked / 1e6:.0f} MB in {len(entries)} entries "
            f"(limits: {MAX_UNPACKED_BYTES // (1024 * 1024)} MB, {MAX_ZIP_ENTRIES} entries, "
            f"{MAX_COMPRESSION_RATIO}x compression); it is refused as a possible zip bomb"
        )


def without_active_content(data: bytes) -> tuple[bytes, int]:
    """HTML with scripts, embedded objects, event handlers and javascript: links removed, and how many."""
    soup = BeautifulSoup(data, "lxml")
    removed = 0
    for tag in soup.find_all(_ACTIVE_TAGS):
        tag.decompose()
        removed += 1
    for tag in soup.find_all(True):
        for attribute in [a for a in tag.attrs if _EVENT_ATTRIBUTE.match(a)]:
            del tag.attrs[attribute]
            removed += 1
        for attribute in ("href", "src", "action"):
            if str(tag.attrs.get(attribute, "")).strip().lower().startswith("javascript:"):
                del tag.attrs[attribute]
                removed += 1
    return (str(soup).encode("utf-8"), removed) if removed else (data, 0)


def safe_name(original: str, suffix: str) -> str:
    """A file name that stays in the corpus folder: no folders, no leading dots, no odd characters, NFC."""
    stem = Path(unicodedata.normalize("NFC", original.replace("\\", "/")).split("/")[-1]).stem
    stem = _UNSAFE.sub("-", stem).strip(" .-")[: MAX_NAME_CHARS - len(suffix)]
    if not stem:
        raise BadRequestError(f"file name {original!r} has no usable characters; name the file with letters or digits")
    return stem + suffix


def parse_check(upload: Upload) -> None:
    """Parses the upload with the index's own ingest code in a scratch folder; raises UnreadableUploadError."""
    with tempfile.TemporaryDirectory(prefix="aftaler-upload-") as scratch:
        path = Path(scratch) / upload.name
        path.write_bytes(upload.data)
        try:
            ingest_file(path, Path(scratch))
        except IngestError as error:
            reason = str(error).replace(str(path), upload.name)
            raise UnreadableUploadError(reason) from None
        except Exception as error:  # a parser's own exception on a damaged file is still the file's problem
            raise UnreadableUploadError(
                f"{upload.name}: the file cannot be read ({type(error).__name__}); check that it opens and re-upload"
            ) from None


def store(uploads: list[Upload], corpus_dir: Path, replace: bool) -> list[Path]:
    """Writes the uploads into `corpus_dir`; all or nothing. Raises ConflictError when a name exists and
    `replace` is false, StorageError when the folder cannot be written."""
    targets = [corpus_dir / upload.name for upload in uploads]
    names = [upload.name for upload in uploads]
    if len(set(names)) != len(names):
        raise BadRequestError(f"two uploaded files would both be stored as {_first_repeat(names)!r}; rename one")
    existing = [path.name for path in targets if path.exists()]
    if existing and not replace:
        raise ConflictError(
            f"{', '.join(existing)} already in the corpus; send replace=true to replace it, or rename the file"
        )
    written: list[Path] = []
    try:
        for upload, target in zip(uploads, targets, strict=True):
            _write_atomically(target, upload.data)
            written.append(target)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        raise storage_error(error, corpus_dir) from None
    return targets


def remove(paths: list[Path], trash_dir: Path) -> list[tuple[Path, Path]]:
    """Moves files out of the corpus into `trash_dir` (so a failed re-index can put them back)."""
    moved: list[tuple[Path, Path]] = []
    try:
        trash_dir.mkdir(parents=True, exist_ok=True)
        for path in paths:
            if path.exists():
                aside = trash_dir / path.name
                shutil.move(path, aside)
                moved.append((path, aside))
    except OSError as error:
        restore(moved)
        raise storage_error(error, paths[0].parent if paths else trash_dir) from None
    return moved


def restore(moved: list[tuple[Path, Path]]) -> None:
    for original, aside in moved:
        shutil.move(aside, original)


def storage_error(error: OSError, folder: Path) -> StorageError:
    """The HTTP-worthy reading of a failed write: 507 for a full disk, 503 for a folder that cannot be written."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(f"no space left on the disk holding {folder}; free space and upload again", 507)
    return StorageError(
        f"cannot write to {folder} ({os.strerror(error.errno) if error.errno else error}); "
        "the corpus folder must be writable by the server",
        503,
    )


def _write_atomically(target: Path, data: bytes) -> None:
    temp = target.parent / f".{target.name}.part"
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _first_repeat(names: list[str]) -> str:
    return next(name for n, name in enumerate(names) if name in names[:n])
