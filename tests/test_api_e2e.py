"""End to end: a real uvicorn server with the real model and FAISS over the bundled corpus."""

from __future__ import annotations

import re

import httpx
import pytest

from ingest.numbers import find_numbers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(live_server) -> httpx.Client:
    with httpx.Client(base_url=live_server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def documents(client) -> dict[str, dict]:
    return {d["id"]: d for d in client.get("/documents").json()}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def assert_quotes_verbatim(client: httpx.Client, body: dict) -> None:
    """Every citation's quote is in its passage and at its offsets in the document's cleaned text; every
    number the answer states occurs in a cited quote."""
    passages = {p["id"]: p for p in body["passages"]}
    for citation in body["citations"]:
        passage = passages[citation["passage_id"]]
        assert citation["quote"] in passage["text"]
        doc = client.get(f"/documents/{passage['document_id']}").json()
        assert doc_text(doc)[citation["start"] : citation["end"]] == citation["quote"]
    quoted = " ".join(c["quote"] for c in body["citations"])
    titles = " ".join(passages[c["passage_id"]]["document_title"] for c in body["citations"])
    sections = " ".join(passages[c["passage_id"]]["section"] for c in body["citations"])
    for number in find_numbers(body["answer"]):
        assert number.raw in quoted or number.raw in titles or number.raw in sections, number


def doc_text(doc: dict) -> str:
    """Reassemble the cleaned text from sections: offsets are absolute, so place each chunk at its start."""
    size = max(c["end"] for s in doc["sections"] for c in s["chunks"])
    buffer = [" "] * size
    for section in doc["sections"]:
        for chunk in section["chunks"]:
            buffer[chunk["start"] : chunk["end"]] = chunk["text"]
    return "".join(buffer)


def test_health_reports_corpus_and_model(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["documents"] == 5
    assert body["chunks"] > 50
    assert body["model"]


def test_documents_list_has_metadata_for_every_agreement(documents):
    assert len(documents) == 5
    for doc in documents.values():
        assert doc["title"] and doc["organisation"] and doc["doc_type"]


def test_document_detail_has_sections_with_offsets(client, documents):
    doc_id = next(iter(documents))
    doc = client.get(f"/documents/{doc_id}").json()
    assert doc["id"] == doc_id
    assert doc["sections"] and all("heading_path" in s and s["chunks"] for s in doc["sections"])


def test_unknown_document_returns_404_with_hint(client):
    response = client.get("/documents/no-such-doc")
    assert response.status_code == 404
    assert "no-such-doc" in response.json()["detail"]


def test_a_confident_answer_is_direct_with_verbatim_quote_and_source(client):
    body = client.post("/ask", json={"question": "Hvad er måltallet for sygefravær på Bakkegården?"}).json()
    assert (body["answered"], body["grade"], body["lead"]) == (True, "direct", "8 %"), body["answer"]
    assert find_numbers(body["citations"][-1]["quote"]), "a figure question is answered with a figure"
    assert_quotes_verbatim(client, body)


@pytest.mark.parametrize(
    ("question", "closest"),
    [
        ("What is the sick-leave target for Bakkegården?", "måltallet for sygefravær på Bakkegården er 8 %"),
        ("What is the sick leave target for CJU?", "Måltallet for sygefravær i CJU er: 4,5 %"),
    ],
)
def test_an_unsure_answer_shows_the_closest_statements_verbatim_and_states_no_figure(client, question, closest):
    body = client.post("/ask", json={"question": question}).json()
    assert (body["answered"], body["grade"], body["citations"]) == (False, "evidence", [])
    assert closest in body["evidence"][0]["quote"]
    passages = {p["id"]: p for p in body["passages"]}
    for item in body["evidence"]:
        doc = client.get(f"/documents/{passages[item['passage_id']]['document_id']}").json()
        assert doc_text(doc)[item["start"] : item["end"]] == item["quote"]
    assert not find_numbers(body["answer"]), "an unsure answer states no figure of its own"


def test_the_ranked_statements_begin_with_the_evidence_and_are_verbatim(client):
    body = client.post("/ask", json={"question": "What is the sick leave target for CJU?"}).json()
    ranked = body["ranked"]
    assert [(r["id"], r["text"], r["start"]) for r in ranked[:3]] == [
        (e["passage_id"], e["quote"], e["start"]) for e in body["evidence"]
    ]
    assert 3 < len(ranked) <= 6
    for item in ranked:
        doc = client.get(f"/documents/{item['document_id']}").json()
        assert doc_text(doc)[item["start"] : item["end"]] == item["text"]


def test_ask_debug_returns_the_trace_with_the_grade_decision(client):
    body = client.post("/ask?debug=true", json={"question": "Hvad er måltallet for sygefravær på Bakkegården?"}).json()
    assert body["trace"]["grade"] == "direct" and body["trace"]["candidates"][0]["features"]["figure_ok"] == 1.0


def test_ask_debug_shows_the_parts_of_a_question_that_asks_two_things(client):
    question = "Hvor mange pladser har Bakkegården, og hvornår træder aftalen i kraft?"
    response = client.post("/ask?debug=true", json={"question": question})
    parts = response.json()["trace"]["analysis"]["parts"]
    assert (response.status_code, [p["intent"] for p in parts]) == (200, ["count", "date"])


# How an answer of each grade is worded in each language (prompts/answers/*.toml): the direct answer after its lead.
WORDED = {
    "da": {"direct": "Ifølge ", "evidence": "Det kan jeg ikke svare sikkert på", "nothing": "Det kan jeg ikke finde"},
    "en": {"direct": "According to ", "evidence": "I cannot answer that with confidence", "nothing": "I cannot find"},
}


@pytest.mark.parametrize(
    ("question", "language"),
    [("Hvad er måltallet for sygefravær i CJU?", "da"), ("What is the sick leave target for CJU?", "en")],
)
def test_ask_answers_in_the_questions_language(client, question: str, language: str):
    body = client.post("/ask", json={"question": question}).json()
    # Whatever the grade the scorer gives, the answer is worded in the question's language.
    assert (body["language"], WORDED[language][body["grade"]] in body["answer"]) == (language, True)


@pytest.mark.parametrize(
    "question",
    [
        "Hvad er måltallet for sygefravær på Solskinsbakken Bosted?",
        "Hvad er hovedstaden i Frankrig?",
        "What is the budget of the fire brigade in Odense?",
    ],
)
def test_ask_refuses_what_the_corpus_does_not_say(client, question):
    body = client.post("/ask", json={"question": question}).json()
    assert body["answered"] is False
    assert "ikke finde" in body["answer"] or "cannot find" in body["answer"]
    assert body["citations"] == []


def test_ask_follow_up_uses_the_conversation(client):
    first = "Hvad er måltallet for sygefravær på Bakkegården?"
    body = client.post(
        "/ask",
        json={
            "question": "Og for CJU?",
            "history": [{"role": "user", "content": first}, {"role": "assistant", "content": "8 %"}],
        },
    ).json()
    assert "CJU" in body["standalone_question"]
    quoted = (body["citations"] or body["evidence"])[0]
    passage = next(p for p in body["passages"] if p["id"] == quoted["passage_id"])
    assert "CJU" in passage["document_title"] + passage["unit"]


def test_search_filters_by_document(client, documents):
    doc_id = next(iter(documents))
    body = client.post("/search", json={"query": "mål", "top_k": 10, "filters": {"document_id": doc_id}}).json()
    assert body["passages"] and all(p["document_id"] == doc_id for p in body["passages"])


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        ("/ask", {"question": ""}, "question"),
        ("/ask", {"question": "   "}, "question"),
        ("/ask", {"question": "x" * 2001}, "question"),
        ("/ask", {"question": "ok", "top_k": 0}, "top_k"),
        ("/ask", {"question": "ok", "top_k": 51}, "top_k"),
        ("/ask", {"question": "ok", "history": [{"role": "user", "content": "x"}] * 21}, "history"),
        ("/ask", {"question": "ok", "history": [{"role": "robot", "content": "x"}]}, "role"),
        ("/ask", {}, "question"),
        ("/search", {"query": ""}, "query"),
        ("/search", {"query": "ok", "filters": {"year": "x" * 30}}, "year"),
        ("/compare", {"topic": " "}, "topic"),
        ("/similar", {"text": "x" * 5001}, "text"),
    ],
)
def test_bad_input_returns_422_naming_the_field(client, path, payload, field):
    response = client.post(path, json=payload)
    assert response.status_code == 422
    assert field in response.json()["detail"]


def test_malformed_json_returns_422_not_500(client):
    response = client.post("/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


# -- /compare ---------------------------------------------------------------------------------------------


def _source_at(client: httpx.Client, document_id: str, start: int, end: int) -> str:
    context = client.get(f"/documents/{document_id}/context", params={"start": start, "end": end, "window": 0})
    assert context.status_code == 200, context.text
    return context.json()["text"]


@pytest.mark.parametrize("topic", ["sygefravær", "personaleomsætning", "besparelser", "antal pladser"])
def test_compare_rows_quote_their_value_verbatim_at_their_offsets(client, topic):
    body = client.post("/compare", json={"topic": topic}).json()
    assert body["rows"], body
    for row in body["rows"]:
        assert row["value"] in row["quote"], row
        assert _source_at(client, row["document_id"], row["start"], row["end"]) == row["quote"]
        assert row["kind"] in {"target", "baseline", "actual"} and row["unit"] and row["document_title"]
    units = [row["unit"].casefold() for row in body["rows"]]
    assert units == sorted(units) or len(set(units)) > 1  # sorted by unit (Danish letters last)


def test_compare_english_topic_finds_the_danish_rows(client):
    danish = client.post("/compare", json={"topic": "sygefravær"}).json()["rows"]
    english = client.post("/compare", json={"topic": "sick leave"}).json()["rows"]
    assert english and english == danish


def test_compare_topic_the_corpus_does_not_mention_is_an_empty_table_with_a_message(client):
    body = client.post("/compare", json={"topic": "CO2-udledning fra fjernvarme"}).json()
    assert body["rows"] == [] and body["message"]


def test_compare_exports_csv_with_a_header_and_one_line_per_row(client):
    rows = client.post("/compare", json={"topic": "sygefravær"}).json()["rows"]
    response = client.post("/compare", params={"format": "csv"}, json={"topic": "sygefravær"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = [line for line in response.text.splitlines() if line]
    assert lines[0].startswith("unit,organisation,metric,value") and len(lines) == len(rows) + 1


def test_ask_with_a_comparison_question_answers_with_the_table(client):
    body = client.post("/ask", json={"question": "Sammenlign sygefraværsmålene på tværs af enhederne"}).json()
    assert body["mode"] == "compare" and body["answered"]
    assert body["rows"] and {row["kind"] for row in body["rows"]} == {"target"}
    assert all(row["value"] in row["quote"] for row in body["rows"])


# -- /similar ---------------------------------------------------------------------------------------------

DRAFT = "Vi vil nedbringe tiden brugt på møder med ti procent"


def test_similar_spreads_over_agreements_and_highlights_shared_words(client):
    body = client.post("/similar", json={"text": DRAFT, "top_k": 6}).json()
    passages = body["passages"]
    assert len(passages) == 6
    per_document: dict[str, int] = {}
    for p in passages:
        per_document[p["document_id"]] = per_document.get(p["document_id"], 0) + 1
    assert max(per_document.values()) <= 2 and len(per_document) >= 3
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)
    draft_words = set(re.findall(r"\w+", DRAFT.casefold()))
    marked_any = False
    for p in passages:
        for start, end in p["highlights"]:
            assert 0 <= start < end <= len(p["text"])
            marked_any = True
    assert marked_any
    first = passages[0]
    marked = " ".join(first["text"][s:e] for s, e in first["highlights"]).casefold()
    assert any(word[:4] in marked for word in draft_words if len(word) > 4), marked


def test_similar_section_kind_narrows_to_that_kind(client):
    kinds = {p["section_kind"] for p in client.post("/similar", json={"text": DRAFT, "top_k": 20}).json()["passages"]}
    kind = sorted(kinds - {"", "other"})[0]
    body = client.post("/similar", json={"text": DRAFT, "top_k": 10, "section_kind": kind}).json()
    assert body["passages"] and {p["section_kind"] for p in body["passages"]} == {kind}


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"text": ""}, "text"), ({"text": "ok", "top_k": 0}, "top_k"), ({"text": "ok", "top_k": 51}, "top_k")],
)
def test_similar_bad_input_returns_422_naming_the_field(client, payload, field):
    response = client.post("/similar", json=payload)
    assert response.status_code == 422 and field in response.json()["detail"]


def test_a_follow_up_after_a_comparison_narrows_the_table_to_the_unit_named(client):
    first = "Sammenlign sygefraværsmålene"
    whole = client.post("/ask", json={"question": first}).json()
    body = client.post(
        "/ask",
        json={
            "question": "Og for CJU?",
            "history": [{"role": "user", "content": first}, {"role": "assistant", "content": "."}],
        },
    ).json()
    assert body["mode"] == "compare" and 0 < len(body["rows"]) < len(whole["rows"])
    assert all("CJU" in row["unit"] + row["document_title"] for row in body["rows"])
