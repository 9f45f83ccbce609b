"""Uploads are checked completely before anything is stored (plain Python; end to end in test_upload_e2e.py)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from service.errors import (
    BadRequestError,
    ConflictError,
    PayloadTooLargeError,
    UnreadableUploadError,
    UnsupportedUploadError,
)
from service.uploads import check_upload, safe_name, sniff, storage_error, store
from tests import files

MB = 1024 * 1024
AGREEMENT = "Driftsaftale for Solhaven 2025\n\nMålet er et sygefravær på højst 4,5 % i 2025.\n".encode()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (files.text_pdf(["Driftsaftale"]), ".pdf"),
        (files.docx(["Driftsaftale"]), ".docx"),
        (b"<!DOCTYPE html><html><body><p>Aftale</p></body></html>", ".html"),
        (b"  <!-- note --><html><p>Aftale</p></html>", ".html"),
        (AGREEMENT, ".txt"),
        ("Målet er 4,5 %".encode("cp1252"), ".txt"),
        ("Målet er 4,5 %".encode("utf-16"), ".txt"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
        (b"PK\x03\x04not really a zip", None),
    ],
)
def test_the_type_is_sniffed_from_the_content(data, kind):
    assert sniff(data) == kind


@pytest.mark.parametrize(
    ("name", "data", "error", "message"),
    [
        ("tom.txt", b"", UnreadableUploadError, "tom.txt: the file is empty"),
        ("blank.txt", b" \n\t ", UnreadableUploadError, "blank.txt: the file is empty"),
        ("billede.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", UnsupportedUploadError, "none of the accepted"),
        ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00", UnsupportedUploadError, "none of the accepted"),
        ("aftale.pdf", b"<html><p>Aftale</p></html>", UnsupportedUploadError, "named as .pdf but the content is .html"),
        ("aftale.docx", files.text_pdf(["x"]), UnsupportedUploadError, "named as .docx but the content is .pdf"),
        ("laast.pdf", files.encrypted_pdf(), UnreadableUploadError, "laast.pdf: .*password"),
        ("skadet.pdf", files.damaged_pdf(), UnreadableUploadError, "skadet.pdf"),
        ("bombe.docx", files.zip_bomb_docx(), UnreadableUploadError, "possible zip bomb"),
        ("scan.pdf", files.text_pdf([]), UnreadableUploadError, "no extractable text"),
        ("stor.txt", b"a" * (2 * MB), PayloadTooLargeError, "over the upload limit of 1 MB"),
        ("...", AGREEMENT, BadRequestError, "no usable characters"),
    ],
)
def test_a_bad_upload_is_refused_with_the_reason(name, data, error, message):
    with pytest.raises(error, match=message):
        check_upload(name, data, max_bytes=1 * MB)


@pytest.mark.parametrize(
    ("name", "data", "stored_as"),
    [
        ("Driftsaftale Solhaven.txt", AGREEMENT, "Driftsaftale Solhaven.txt"),
        ("noter.md", AGREEMENT, "noter.md"),
        ("uden-endelse", AGREEMENT, "uden-endelse.txt"),
        ("aftale.pdf", files.text_pdf(["Driftsaftale for Solhaven", "Sygefravaer hoejst 4,5 %"]), "aftale.pdf"),
        ("aftale.docx", files.docx(["Driftsaftale for Solhaven", "Sygefravær højst 4,5 %"]), "aftale.docx"),
        ("side.htm", b"<html><body><h1>Aftale</h1><p>Sygefravaer 4,5 %</p></body></html>", "side.html"),
    ],
)
def test_a_good_upload_is_accepted_under_a_name_with_its_real_type(name, data, stored_as):
    assert check_upload(name, data, max_bytes=MB).name == stored_as


def test_html_loses_scripts_and_event_handlers_but_keeps_its_text():
    page = b"""<html><head><script>steal()</script></head><body onload="steal()">
    <p>Sygefravaer hoejst 4,5 %</p><a href="javascript:steal()">link</a><iframe src="x"></iframe></body></html>"""
    upload = check_upload("side.html", page, max_bytes=MB)
    cleaned = upload.data.decode()
    removed = "removed 4 script or active element(s)"
    assert ("steal" in cleaned, "4,5 %" in cleaned, upload.note) == (False, True, removed)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        (".skjult.txt", "skjult.txt"),
        ("mål; rm -rf *.txt", "mål- rm -rf.txt"),
        ("a\u030arsplan.txt", "årsplan.txt"),
        ("x" * 300 + ".txt", "x" * 116 + ".txt"),
    ],
)
def test_a_stored_name_stays_in_the_corpus_folder_and_is_nfc(name, safe):
    assert safe_name(name, ".txt") == safe


def test_store_never_overwrites_without_replace_and_changes_nothing_when_refused(tmp_path: Path):
    first = check_upload("a.txt", AGREEMENT, MB)
    store([first], tmp_path, replace=False)
    second = check_upload("a.txt", AGREEMENT + b"Ny linje.\n", MB)
    new = check_upload("b.txt", AGREEMENT, MB)
    with pytest.raises(ConflictError, match="a.txt already in the corpus; send replace=true"):
        store([new, second], tmp_path, replace=False)
    assert (sorted(p.name for p in tmp_path.iterdir()), (tmp_path / "a.txt").read_bytes()) == (["a.txt"], AGREEMENT)


def test_store_replaces_when_asked(tmp_path: Path):
    store([check_upload("a.txt", AGREEMENT, MB)], tmp_path, replace=False)
    store([check_upload("a.txt", AGREEMENT + b"Ny linje.\n", MB)], tmp_path, replace=True)
    assert (tmp_path / "a.txt").read_bytes().endswith(b"Ny linje.\n")


@pytest.mark.parametrize(
    ("code", "status"),
    [(errno.ENOSPC, 507), (errno.EDQUOT, 507), (errno.EROFS, 503), (errno.EACCES, 503)],
)
def test_a_failed_write_is_read_as_full_disk_or_unwritable_folder(code, status):
    error = storage_error(OSError(code, "x"), Path("/srv/corpus"))
    assert (error.status, "/srv/corpus" in str(error)) == (status, True)
