"""Access control end to end on a real server with keys set: only /health and the page answer without a key."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ADMIN_KEY, READ_KEY

pytestmark = pytest.mark.slow
UNKNOWN_JOB = "0" * 16


@pytest.fixture(scope="module")
def server(secured_server):
    return secured_server


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="module")
def operations(server) -> list[tuple[str, str]]:
    """Every (method, path) of the API description, with path parameters filled in."""
    schema = httpx.get(f"{server.url}/openapi.json", headers=bearer(READ_KEY), timeout=30).json()
    document_id = httpx.get(f"{server.url}/documents", headers=bearer(READ_KEY), timeout=30).json()[0]["id"]
    found = []
    for path, methods in schema["paths"].items():
        filled = path.replace("{document_id}", document_id).replace("{job_id}", UNKNOWN_JOB)
        if filled.endswith("/context"):
            filled += "?start=0&end=10"
        found += [(method.upper(), filled) for method in methods]
    return found


def call(server, method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"json": {"question": "x", "query": "x", "topic": "x", "text": "x"}} if method == "POST" else {}
    if method == "POST" and path == "/documents":
        body = {"files": {"files": ("a.txt", b"Aftale om noget.\n")}}
    return httpx.request(method, f"{server.url}{path}", headers=headers, timeout=60, **body)


def test_the_api_description_lists_the_protected_operations(operations):
    assert {("POST", "/ask"), ("POST", "/documents"), ("GET", f"/jobs/{UNKNOWN_JOB}")} <= set(operations)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (None, "requires an API key"),
        ({"Authorization": "Bearer not-a-key"}, "not valid"),
        ({"Authorization": READ_KEY}, "not of the form"),
    ],
)
def test_no_operation_but_health_answers_without_a_valid_key(server, operations, headers, says):
    answers = {(m, p): call(server, m, p, headers) for m, p in [*operations, ("GET", "/openapi.json")]}
    refused = {op for op, r in answers.items() if r.status_code == 401 and says in r.json()["detail"]}
    assert set(answers) - refused == {("GET", "/health")}


def test_a_refusal_says_how_to_send_a_key(server):
    response = httpx.post(f"{server.url}/ask", json={"question": "Hvad er målet?"}, timeout=30)
    assert (response.status_code, response.headers["www-authenticate"], response.json()["detail"]) == (
        401,
        "Bearer",
        "this server requires an API key; send the header 'Authorization: Bearer <key>' with a key the "
        "administrator gave you",
    )


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/health"])
def test_the_page_and_health_answer_without_a_key(server, path):
    assert httpx.get(f"{server.url}{path}", timeout=30).status_code == 200


def test_the_swagger_page_is_not_served_when_keys_are_set(server):
    assert httpx.get(f"{server.url}/docs", headers=bearer(READ_KEY), timeout=30).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/documents"), ("DELETE", "/documents/{document_id}")],
)
def test_a_read_key_may_not_add_or_delete(server, operations, method, path):
    filled = next(p for m, p in operations if m == method and p.startswith("/documents"))
    response = call(server, method, filled, bearer(READ_KEY))
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "this action needs an admin key (AFTALER_ADMIN_KEYS); the key sent may only read",
    )


@pytest.mark.parametrize(("key", "role"), [(READ_KEY, "read"), (ADMIN_KEY, "admin")])
def test_each_key_is_known_by_its_role(server, key, role):
    assert httpx.get(f"{server.url}/whoami", headers=bearer(key), timeout=30).json() == {"role": role, "open": False}


def test_a_read_key_gets_answers(server):
    response = httpx.post(
        f"{server.url}/ask",
        json={"question": "Hvad er måltallet for sygefravær på Bakkegården?"},
        headers=bearer(READ_KEY),
        timeout=60,
    )
    assert (response.status_code, response.json()["lead"]) == (200, "8 %")


def test_the_server_log_names_the_key_by_id_and_never_the_key_or_the_question(server):
    httpx.post(
        f"{server.url}/ask",
        json={"question": "Hvad gælder for borger 010203-1234?"},
        headers=bearer(READ_KEY),
        timeout=60,
    )
    log = server.log()
    assert (READ_KEY in log, ADMIN_KEY in log, "010203" in log, '"route": "/ask"' in log) == (False, False, False, True)
