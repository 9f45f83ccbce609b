"""AFTALER_SEARCH_BACKEND=milvus end to end: a real `aftaler serve` with two worker processes over one milvus-lite
file (real Milvus engine), on a copy of the bundled corpus: answers as the embedded engine does, reports its
backend, and takes an upload and a delete that every worker sees at once."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN_KEY, READ_KEY
from tests.live_server import copied_server
from tests.test_upload_e2e import NEW_AGREEMENT, finished, search_titles, upload

pytestmark = pytest.mark.slow
READER = {"Authorization": f"Bearer {READ_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
QUESTIONS = [
    "Hvad er måltallet for sygefravær på Bakkegården?",
    "What is the budget of CJU?",
    "Hvor mange pladser har Bostedet?",
]


@pytest.fixture(scope="module")
def server(live_server, live_data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("aftaler-milvus")
    env = {
        "AFTALER_SEARCH_BACKEND": "milvus",
        "AFTALER_API_KEYS": READ_KEY,
        "AFTALER_ADMIN_KEYS": ADMIN_KEY,
    }
    server = copied_server(live_data_dir, root, env, workers=2)
    yield server
    server.stop()


def ask(url: str, question: str, headers: dict[str, str] | None = None) -> dict:
    response = httpx.post(f"{url}/ask", json={"question": question}, headers=headers or {}, timeout=120)
    response.raise_for_status()
    return response.json()


def test_health_reports_the_milvus_backend(server):
    health = httpx.get(f"{server.url}/health", timeout=30).json()
    assert (health["search_backend"], health["documents"]) == ("milvus", 5)


@pytest.mark.parametrize("question", QUESTIONS)
def test_answers_equal_those_of_the_embedded_engine(server, live_server, question):
    embedded, milvus = ask(live_server.url, question), ask(server.url, question, READER)
    assert (milvus["answer"], [p["id"] for p in milvus["passages"]]) == (
        embedded["answer"],
        [p["id"] for p in embedded["passages"]],
    )


def test_an_upload_and_a_delete_reach_every_worker(server):
    accepted = upload(server, ("Lærkereden driftsaftale.txt", NEW_AGREEMENT))
    job = finished(server, accepted.json()["id"])
    assert (job["state"], job["files"][0]["status"]) == ("done", "indexed")
    # Several requests, so both worker processes answer at least one with high likelihood: all see the document.
    assert {search_titles(server, "sygefravær Lærkereden 3,7 %")[0] for _ in range(6)} == {
        "Driftsaftale for Lærkereden 2026"
    }
    document_id = job["files"][0]["document_id"]
    deleted = httpx.delete(f"{server.url}/documents/{document_id}", headers=ADMIN, timeout=120)
    assert deleted.status_code == 200
    assert not any(
        "Driftsaftale for Lærkereden 2026" in search_titles(server, "sygefravær Lærkereden 3,7 %") for _ in range(6)
    )
