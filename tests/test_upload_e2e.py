"""Adding and deleting agreements through the API of a real server, and every kind of bad upload refused with
its reason while the corpus folder and the index stay as they were."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests import files
from tests.conftest import ADMIN_KEY, READ_KEY

pytestmark = pytest.mark.slow
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
READER = {"Authorization": f"Bearer {READ_KEY}"}
NEW_AGREEMENT = (
    "Driftsaftale for Lærkereden 2026\n\n"
    "1. Sygefravær\n\n"
    "Sygefraværet på Lærkereden skal i 2026 være højst 3,7 %, målt som fraværsdage i procent af arbejdsdage.\n"
).encode()


@pytest.fixture(scope="module")
def server(secured_server):
    return secured_server


def upload(server, *named: tuple[str, bytes], replace: bool = False) -> httpx.Response:
    return httpx.post(
        f"{server.url}/documents",
        params={"replace": str(replace).lower()},
        files=[("files", (name, data)) for name, data in named],
        headers=ADMIN,
        timeout=120,
    )


def finished(server, job_id: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = httpx.get(f"{server.url}/jobs/{job_id}", headers=READER, timeout=30).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


def state(server) -> tuple[list[str], str, int]:
    """What must not change when an upload is refused: the corpus files, the index manifest, the chunk count."""
    corpus = Path(server.env["AFTALER_CORPUS_DIR"])
    manifest = (Path(server.env["AFTALER_DATA_DIR"]) / "index" / "manifest.json").read_text()
    chunks = httpx.get(f"{server.url}/health", timeout=30).json()["chunks"]
    return sorted(p.name for p in corpus.iterdir()), manifest, chunks


def search_titles(server, query: str) -> list[str]:
    body = httpx.post(f"{server.url}/search", json={"query": query, "top_k": 3}, headers=READER, timeout=60).json()
    return [p["document_title"] for p in body["passages"]]


def test_an_uploaded_agreement_is_indexed_answers_and_is_deleted_again(server):
    accepted = upload(server, ("Lærkereden driftsaftale.txt", NEW_AGREEMENT))
    assert (accepted.status_code, accepted.json()["files"][0]["status"]) == (202, "stored")
    job = finished(server, accepted.json()["id"])
    outcome = job["files"][0]
    assert (job["state"], outcome["name"], outcome["status"]) == ("done", "Lærkereden driftsaftale.txt", "indexed")
    assert search_titles(server, "sygefravær Lærkereden 3,7 %")[0] == "Driftsaftale for Lærkereden 2026"

    deleted = httpx.delete(f"{server.url}/documents/{outcome['document_id']}", headers=ADMIN, timeout=120)
    assert (deleted.status_code, deleted.json()["deleted"]) == (200, outcome["document_id"])
    ids = [d["id"] for d in httpx.get(f"{server.url}/documents", headers=READER, timeout=30).json()]
    corpus = Path(server.env["AFTALER_CORPUS_DIR"])
    assert (outcome["document_id"] in ids, (corpus / "Lærkereden driftsaftale.txt").exists()) == (False, False)
    assert "Driftsaftale for Lærkereden 2026" not in search_titles(server, "sygefravær Lærkereden 3,7 %")


def test_a_pdf_and_a_docx_upload_in_one_request_are_both_indexed(server):
    pdf = files.text_pdf(["Udviklingsaftale for Mosehuset 2026", "Mosehuset skal nedbringe ventetiden til 14 dage."])
    word = files.docx(["Virksomhedsplan for Engbo 2026", "Engbo tilbyder 24 pladser til unge med autisme."])
    job = finished(server, upload(server, ("mosehuset.pdf", pdf), ("engbo.docx", word)).json()["id"])
    indexed = [(f["name"], f["status"]) for f in job["files"]]
    assert indexed == [("mosehuset.pdf", "indexed"), ("engbo.docx", "indexed")]
    for outcome in job["files"]:
        httpx.delete(f"{server.url}/documents/{outcome['document_id']}", headers=ADMIN, timeout=120)


def test_an_uploaded_scan_is_read_by_ocr_and_answers_with_a_quote(server):
    scan = files.scanned_pdf(["Driftsaftale for Rosenly 2026", "Sygefraværet på Rosenly skal i 2026 være højst 4,2 %."])
    job = finished(server, upload(server, ("rosenly-scannet.pdf", scan)).json()["id"])
    assert (job["state"], job["files"][0]["status"]) == ("done", "indexed")
    asked = httpx.post(
        f"{server.url}/ask", json={"question": "Hvad er målet for sygefravær på Rosenly?"}, headers=READER, timeout=120
    ).json()
    quote = (asked["citations"] + asked["evidence"])[0]  # a direct answer's quote, or the closest statement
    cited = next(p for p in asked["passages"] if p["id"] == quote["passage_id"])
    assert ("4,2 %" in quote["quote"], cited["ocr"], cited["page"]) == (True, True, 1)
    httpx.delete(f"{server.url}/documents/{job['files'][0]['document_id']}", headers=ADMIN, timeout=120)


BAD_UPLOADS = [
    ("tom.txt", b"", 422, "the file is empty"),
    ("billede.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), 415, "none of the accepted types"),
    ("aftale.pdf", b"<html><body><p>Aftale</p></body></html>", 415, "named as .pdf but the content is .html"),
    ("laast.pdf", files.encrypted_pdf(), 422, "password"),
    ("skadet.pdf", files.damaged_pdf(), 422, "skadet.pdf"),
    ("bombe.docx", files.zip_bomb_docx(), 422, "possible zip bomb"),
    ("scannet.pdf", files.text_pdf([]), 422, "no extractable text"),
    ("stor.txt", b"Aftale. " * 300_000, 413, "is over the limit of 2.0 MB"),
]


@pytest.mark.parametrize(("name", "data", "status", "says"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_a_bad_upload_is_refused_with_its_reason_and_nothing_changes(server, name, data, status, says):
    before = state(server)
    response = upload(server, ("god.txt", NEW_AGREEMENT), (name, data))
    assert (response.status_code, says in response.json()["detail"]) == (status, True), response.json()
    assert state(server) == before


def test_an_upload_over_the_file_limit_is_refused_before_it_is_read(server):
    before = state(server)
    response = upload(server, ("stor.txt", b"Aftale. " * 160_000))
    assert (response.status_code, "over the upload limit of 1 MB" in response.json()["detail"]) == (413, True)
    assert state(server) == before


def test_an_existing_file_is_only_replaced_when_asked(server):
    existing = sorted(Path(server.env["AFTALER_CORPUS_DIR"]).iterdir())[0]
    before = state(server)
    refused = upload(server, (existing.name, existing.read_bytes()))
    assert (refused.status_code, "send replace=true" in refused.json()["detail"]) == (409, True)
    assert state(server) == before
    replaced = upload(server, (existing.name, existing.read_bytes()), replace=True)
    assert finished(server, replaced.json()["id"])["files"][0]["status"] == "indexed"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/documents/ingen-saadan-aftale", 404), (f"/jobs/{'0' * 16}", 404), ("/jobs/..%2F..%2Fetc", 404)],
)
def test_unknown_ids_are_404_with_a_hint(server, path, status):
    method = "DELETE" if path.startswith("/documents") else "GET"
    response = httpx.request(method, f"{server.url}{path}", headers=ADMIN, timeout=30)
    assert (response.status_code, bool(response.json()["detail"])) == (status, True)
