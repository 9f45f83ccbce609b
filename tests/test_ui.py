"""The chat page in a real browser: page behaviour against a scripted backend, then a staff session against the
real server. Screenshots of the real session go to test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.ui_server import ARTIFACTS, FAKE_ORIGIN, FakeBackend, Reply, launch, missing_browser

pytestmark = pytest.mark.skipif(missing_browser() is not None, reason=missing_browser() or "")

TIMEOUT_MS = 10_000
REAL_TIMEOUT_MS = 120_000  # the real model on a shared 2-core machine

DOC_TEXT = "Indledning. Sygefraværet skal ned på 4,5 % i 2024. Det følges op kvartalsvis."
QUOTE = "Sygefraværet skal ned på 4,5 % i 2024."
QUOTE_START = DOC_TEXT.index(QUOTE)


def passage(text: str = DOC_TEXT, pid: str = "d1:0", **extra: Any) -> dict:
    return {
        "id": pid,
        "document_id": "d1",
        "document_title": "Driftsaftale 2024 Bakkegården",
        "unit": "Bakkegården",
        "organisation": "Socialforvaltningen",
        "year": "2024",
        "section": "Mål for sygefravær",
        "page": 3,
        "text": text,
        "score": 0.8,
        "start": 0,
        "end": len(text),
        "section_kind": "goal",
        **extra,
    }


def answer(text: str = "Målet er 4,5 %.", quote: str = QUOTE, passage_text: str = DOC_TEXT, **extra: Any) -> dict:
    start = passage_text.index(quote)
    return {
        "question": "q",
        "answered": True,
        "answer": text,
        "citations": [{"passage_id": "d1:0", "quote": quote, "start": start, "end": start + len(quote)}],
        "passages": [passage(passage_text)],
        "language": "da",
        "mode": "extractive",
        "reason": "",
        "standalone_question": "",
        "rows": [],
        **extra,
    }


def context(_: Any = None) -> Reply:
    return Reply(
        body={
            "document_id": "d1",
            "document_title": "Driftsaftale 2024 Bakkegården",
            "offset": 0,
            "text": DOC_TEXT,
            "highlight": [QUOTE_START, QUOTE_START + len(QUOTE)],
            "page": 3,
        }
    )


DOCUMENTS = [
    {
        "id": "d1",
        "title": "Driftsaftale Bakkegården",
        "organisation": "Socialforvaltningen",
        "unit": "Bakkegården",
        "year": "2024",
        "doc_type": "driftsaftale",
    },
    {
        "id": "d2",
        "title": "Udviklingsaftale CJU",
        "organisation": "Beskæftigelse",
        "unit": "CJU",
        "year": "2023",
        "doc_type": "udviklingsaftale",
    },
]


# -- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend(
        {
            "GET /health": Reply(body={"status": "ok", "documents": 2, "chunks": 10, "model": "fake"}),
            "GET /documents": Reply(body=DOCUMENTS),
            "GET /documents/d1/context": context,
            "POST /ask": Reply(body=answer()),
        }
    )


@pytest.fixture
def page(browser: Any, backend: FakeBackend) -> Iterator[Any]:
    context_ = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page_ = context_.new_page()
    page_.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page_.on("pageerror", lambda exc: errors.append(str(exc)))
    backend.install(page_)
    page_.goto(f"{FAKE_ORIGIN}/")
    page_.wait_for_selector("body[data-ready=true]")
    yield page_
    context_.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, return the newest assistant or error bubble."""
    before = page.locator("#log > li.message:not(.user)").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    bubble = page.locator("#log > li.message:not(.user)").nth(before)
    bubble.wait_for()
    return bubble


# -- page behaviour against a scripted backend -----------------------------------------------------------


def test_answer_shows_quote_and_source(page):
    bubble = ask(page, "Hvad er måltallet for sygefravær?")
    assert bubble.locator(".answer-text").inner_text() == "Målet er 4,5 %."
    assert bubble.locator("blockquote.quote").inner_text() == QUOTE
    source = bubble.locator(".source").inner_text()
    for part in ("Driftsaftale 2024 Bakkegården", "Bakkegården", "Mål for sygefravær", "s. 3"):
        assert part in source


@pytest.mark.parametrize(
    ("mode", "note"),
    [
        ("extractive", "Citeret ordret fra aftalerne."),
        ("extractive-fallback", "Citeret ordret fra aftalerne."),
        ("generated", "Formuleret af en sprogmodel og kontrolleret mod citaterne."),
    ],
)
def test_the_answer_says_whether_it_is_quoted_or_generated_and_checked(page, backend, mode, note):
    backend.routes["POST /ask"] = Reply(body=answer(mode=mode))
    bubble = ask(page, "Hvad er måltallet for sygefravær?")
    assert bubble.locator(".answer-kind").inner_text() == note


def test_context_disclosure_highlights_the_quote(page, backend):
    bubble = ask(page, "Hvad er måltallet?")
    bubble.locator("details.context summary").first.click()
    mark = bubble.locator(".context-text mark")
    mark.wait_for()
    assert mark.inner_text() == QUOTE
    context_urls = [p for m, p, _ in backend.calls if p.endswith("/context")]
    assert context_urls == ["/documents/d1/context"]


@pytest.mark.parametrize(
    "hostile",
    ['<img src=x onerror="window.pwned=1">', "<script>window.pwned=1</script>", "&lt;b&gt; & <b>fed</b>"],
)
def test_corpus_text_is_shown_as_text_not_markup(page, backend, hostile):
    text = f"Før {hostile} efter."
    backend.routes["POST /ask"] = Reply(body=answer(text=hostile, quote=text, passage_text=text))
    bubble = ask(page, "Vis teksten")
    assert bubble.locator(".answer-text").inner_text() == hostile
    assert bubble.locator("blockquote.quote").inner_text() == text
    assert page.locator("#log img, #log script, #log b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_refusal_is_shown_with_closest_passages_collapsed(page, backend):
    refusal = answer(answered=False, answer="Aftalerne nævner ikke det.", citations=[])
    backend.routes["POST /ask"] = Reply(body=refusal)
    bubble = ask(page, "Hvad koster en kop kaffe?")
    assert "Det kan jeg ikke finde i aftalerne" in bubble.inner_text()
    nearest = bubble.locator("details.nearest")
    assert not nearest.get_attribute("open") and nearest.locator(".passage").count() == 1
    assert not nearest.locator(".passage-text").is_visible()
    nearest.locator("summary").first.click()
    assert nearest.locator(".passage-text").is_visible()


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        (Reply(422, {"detail": "question: question is blank; send 1 to 2000 characters"}), "question is blank"),
        (Reply(422, {"detail": [{"loc": ["body", "top_k"], "msg": "too large"}]}), "top_k: too large"),
        (Reply(503, {"detail": "the index is being rebuilt"}), "the index is being rebuilt"),
        (Reply(500, {"detail": "Internal error (KeyError)"}), "Internal error (KeyError)"),
        (Reply(502, "<html>Bad gateway</html>", "text/html"), "Fejl 502"),
    ],
)
def test_errors_show_the_servers_message_and_keep_the_question(page, backend, reply, shown):
    backend.routes["POST /ask"] = reply
    bubble = ask(page, "Et spørgsmål")
    assert "error" in bubble.get_attribute("class")
    assert shown in bubble.inner_text()
    assert page.input_value("#question") == "Et spørgsmål"
    assert page.is_enabled("#send")


def test_followup_sends_earlier_turns_as_history(page, backend):
    ask(page, "Hvad er måltallet for sygefravær på Bakkegården?")
    ask(page, "Og for CJU?")
    first, second = backend.bodies("POST", "/ask")
    assert first["history"] == []
    assert second["history"] == [
        {"role": "user", "content": "Hvad er måltallet for sygefravær på Bakkegården?"},
        {"role": "assistant", "content": "Målet er 4,5 %."},
    ]


def test_history_sent_is_capped_at_twenty_turns(page, backend):
    for n in range(12):
        ask(page, f"Spørgsmål {n}")
    last = backend.bodies("POST", "/ask")[-1]["history"]
    assert len(last) == 20
    assert last[-2]["content"] == "Spørgsmål 10"


def test_new_conversation_clears_log_and_history(page, backend):
    ask(page, "Første spørgsmål")
    page.click("#new-conversation")
    assert page.locator("#log > li").count() == 0
    assert page.evaluate("document.activeElement.id") == "question"
    ask(page, "Nyt spørgsmål")
    assert backend.bodies("POST", "/ask")[-1]["history"] == []


def test_shift_enter_adds_a_line_and_enter_sends(page, backend):
    page.fill("#question", "linje 1")
    page.press("#question", "Shift+Enter")
    page.type("#question", "linje 2")
    assert backend.bodies("POST", "/ask") == []
    page.press("#question", "Enter")
    page.locator("#log > li.assistant").wait_for()
    assert backend.bodies("POST", "/ask")[0]["question"] == "linje 1\nlinje 2"
    assert page.input_value("#question") == ""


def test_filters_come_from_documents_and_are_sent(page, backend):
    assert page.locator("#filter-unit option").all_inner_texts() == ["Alle", "Bakkegården", "CJU"]
    page.select_option("#filter-organisation", "Beskæftigelse")
    assert page.locator("#filter-unit option").all_inner_texts() == ["Alle", "CJU"]
    page.select_option("#filter-year", "2023")
    ask(page, "Hvad er målet?")
    assert backend.bodies("POST", "/ask")[0]["filters"] == {"organisation": "Beskæftigelse", "year": "2023"}


def compare_row(unit: str, value: str, kind: str) -> dict:
    return {
        "unit": unit,
        "organisation": "Socialforvaltningen",
        "metric": "sygefravaer",
        "value": value,
        "measure": "%",
        "kind": kind,
        "year": "2024",
        "quote": f"{unit}: sygefravær {value} %",
        "document_id": "d1",
        "document_title": f"Aftale {unit}",
        "section": "Mål",
        "page": 2,
        "start": 0,
        "end": 10,
    }


def test_comparison_renders_a_table_with_danish_kinds_and_csv(page, backend):
    rows = [compare_row("Bakkegården", "4,5", "target"), compare_row("CJU", "6,1", "baseline")]
    backend.routes["POST /ask"] = Reply(
        body=answer(answer="2 angivne tal:", mode="compare", rows=rows, citations=[], passages=[])
    )
    bubble = ask(page, "Sammenlign sygefraværsmålene")
    table = bubble.locator("table.compare")
    assert table.locator("tbody tr").count() == 2
    assert table.locator("td.kind").all_inner_texts() == ["mål", "udgangspunkt"]
    assert table.locator("td.value").all_inner_texts() == ["4,5 %", "6,1 %"]
    assert table.locator("blockquote.quote").first.inner_text() == "Bakkegården: sygefravær 4,5 %"
    with page.expect_download() as download:
        bubble.locator("button.csv").click()
    csv = open(download.value.path(), encoding="utf-8-sig").read()
    assert csv.splitlines()[0].startswith("Enhed;Organisation;")
    assert "CJU;Socialforvaltningen;sygefravaer;6,1;%;udgangspunkt;2024" in csv


def test_precedent_mode_marks_highlights_and_sends_section_kind(page, backend):
    text = "Vi vil reducere tiden brugt på møder."
    hit = passage(text, highlights=[[text.index("tiden"), text.index(" brugt")], [text.index("møder"), len(text) - 1]])
    backend.routes["POST /similar"] = Reply(body={"text": "udkast", "passages": [hit]})
    page.check("input[name=mode][value=similar]")
    assert page.is_visible("#section-kind")
    page.select_option("#section-kind", "goal")
    bubble = ask(page, "Vi vil nedbringe tiden brugt på møder med ti procent")
    assert bubble.locator(".passage mark").all_inner_texts() == ["tiden", "møder"]
    assert bubble.locator(".passage-text").inner_text() == text
    (body,) = backend.bodies("POST", "/similar")
    assert body["section_kind"] == "goal" and body["text"].startswith("Vi vil nedbringe")
    assert backend.bodies("POST", "/ask") == []


def test_draft_limit_follows_the_mode(page):
    assert page.get_attribute("#question", "maxlength") == "2000"
    page.check("input[name=mode][value=similar]")
    assert page.get_attribute("#question", "maxlength") == "5000"


# -- a staff session against the real server ---------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"ui-{name}.png"), full_page=True)


def _ask_real(page: Any, question: str) -> tuple[Any, dict]:
    before = page.locator("#log > li.message:not(.user)").count()
    page.fill("#question", question)
    with page.expect_response(lambda r: r.url.endswith("/ask"), timeout=REAL_TIMEOUT_MS) as response:
        page.press("#question", "Enter")
    bubble = page.locator("#log > li.message:not(.user)").nth(before)
    bubble.wait_for()
    assert "error" not in bubble.get_attribute("class"), bubble.inner_text()
    return bubble, response.value.json()


def _assert_quotes_are_in_their_passages(bubble: Any, body: dict) -> None:
    passages = {p["id"]: p for p in body["passages"]}
    shown = bubble.locator("blockquote.quote").all_inner_texts()
    assert len(shown) == len(body["citations"])
    for citation, text in zip(body["citations"], shown, strict=True):
        assert _norm(text) == _norm(citation["quote"])
        assert citation["quote"] in passages[citation["passage_id"]]["text"]


@contextmanager
def real_page(browser: Any) -> Iterator[Any]:
    """A page for a real server: its timeout, a screenshot when the test fails, and no JavaScript errors."""
    context_ = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context_.new_page()
    page.set_default_timeout(REAL_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    except Exception:
        _shot(page, "failure")
        raise
    finally:
        context_.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.mark.slow
def test_staff_session_against_the_real_server(browser, live_server):
    with real_page(browser) as page:
        page.goto(f"{live_server.url}/")
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_function("document.querySelectorAll('#filter-unit option').length > 1")

        bubble, body = _ask_real(page, "Hvad er måltallet for sygefravær på Bakkegården?")
        assert body["answered"] and body["citations"], body
        _assert_quotes_are_in_their_passages(bubble, body)
        assert bubble.locator(".source").first.inner_text().startswith("Kilde:")
        bubble.locator("details.context summary").first.click()
        mark = bubble.locator(".context-text mark").first
        mark.wait_for()
        assert _norm(mark.inner_text()) == _norm(body["citations"][0]["quote"])
        _shot(page, "1-answer-with-context")

        bubble, body = _ask_real(page, "Og for CJU?")
        if body["answered"]:
            _assert_quotes_are_in_their_passages(bubble, body)
        elif body["grade"] == "evidence":
            assert "Det nærmeste, aftalerne siger" in bubble.inner_text()
        else:
            assert "Det kan jeg ikke finde i aftalerne" in bubble.inner_text()
        _shot(page, "2-followup")

        bubble, body = _ask_real(page, "Sammenlign sygefraværsmålene")
        assert body["mode"] == "compare" and body["rows"], body
        table = bubble.locator("table.compare")
        assert table.locator("tbody tr").count() == len(body["rows"])
        for row, quote in zip(body["rows"], table.locator("blockquote.quote").all_inner_texts(), strict=True):
            assert _norm(quote) == _norm(row["quote"]) and row["value"] in row["quote"]
        _shot(page, "3-comparison")

        page.check("input[name=mode][value=similar]")
        page.fill("#question", "Vi vil nedbringe tiden brugt på møder med ti procent")
        with page.expect_response(lambda r: r.url.endswith("/similar"), timeout=REAL_TIMEOUT_MS) as response:
            page.press("#question", "Enter")
        similar = response.value.json()
        bubble = page.locator("#log > li.assistant").last
        bubble.locator(".passage").first.wait_for()
        assert bubble.locator(".passage").count() == len(similar["passages"]) > 0
        marked = bubble.locator(".passage mark").all_inner_texts()
        texts = [p["text"] for p in similar["passages"]]
        assert marked and all(any(m in t for t in texts) for m in marked), marked
        _shot(page, "4-precedent")

        page.click("#new-conversation")
        assert page.locator("#log > li").count() == 0


def test_a_table_row_answer_is_shown_as_a_small_table_with_its_header(page, backend):
    header, row = "Profession | Antal personer | Årsværk", "Pædagoger | 9 | 8,51"
    text = f"{header}\n{row}"
    body = answer(text="9. Ifølge ...", quote=header, passage_text=text)
    body["citations"].append({"passage_id": "d1:0", "quote": row, "start": len(header) + 1, "end": len(text)})
    backend.routes["POST /ask"] = Reply(body=body)
    bubble = ask(page, "Hvor mange pædagoger er der?")
    table = bubble.locator("table.quote-table")
    assert table.locator("th").all_inner_texts() == ["Profession", "Antal personer", "Årsværk"]
    assert table.locator("td").all_inner_texts() == ["Pædagoger", "9", "8,51"]


def test_an_unsure_answer_shows_the_closest_statements_under_their_heading(page, backend):
    start = DOC_TEXT.index(QUOTE)
    evidence = [{"passage_id": "d1:0", "quote": QUOTE, "start": start, "end": start + len(QUOTE), "score": 0.6}]
    body = answer(answered=False, answer="Det kan jeg ikke svare sikkert på.", citations=[], evidence=evidence)
    backend.routes["POST /ask"] = Reply(body=body)
    bubble = ask(page, "Hvad er målet?")
    section = bubble.locator("section.evidence")
    assert section.locator("h3").inner_text() == "Det nærmeste, aftalerne siger"
    assert section.locator("blockquote.quote").all_inner_texts() == [QUOTE]


@pytest.mark.slow
def test_with_keys_the_page_asks_for_a_key_then_answers_and_an_admin_adds_an_agreement(
    browser, secured_server, tmp_path
):
    from tests.conftest import ADMIN_KEY, READ_KEY

    with real_page(browser) as page:
        page.goto(f"{secured_server.url}/")
        page.wait_for_selector("body[data-ready=true]")
        assert page.is_visible("#key-form") and "kræver en API-nøgle" in page.inner_text("#key-message")

        page.fill("#api-key", "forkert-noegle")
        page.click("#key-save")
        page.wait_for_function("document.querySelector('#key-message').textContent.startsWith('Nøglen blev afvist')")

        page.fill("#api-key", READ_KEY)
        page.click("#key-save")
        page.wait_for_selector("#key-form", state="hidden")
        page.wait_for_function("document.querySelectorAll('#filter-unit option').length > 1")
        assert page.is_hidden("#admin"), "a read key gets no upload form"
        bubble, body = _ask_real(page, "Hvad er måltallet for sygefravær på Bakkegården?")
        assert (body["grade"], body["lead"]) == ("direct", "8 %")
        _shot(page, "5-with-a-read-key")

        page.evaluate(f"sessionStorage.setItem('aftaler-api-key', '{ADMIN_KEY}')")
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        page.click("#admin summary")
        agreement = tmp_path / "Hyldebo driftsaftale.txt"
        agreement.write_text(
            "Driftsaftale for Hyldebo 2026\n\nHyldebo skal i 2026 have et sygefravær på højst 5,2 %.\n", "utf-8"
        )
        page.set_input_files("#upload-files", str(agreement))
        page.click("#upload-send")
        page.wait_for_selector("#upload-form[data-done]")
        outcome = page.locator("#upload-outcomes li").first
        assert (page.get_attribute("#upload-form", "data-done"), outcome.get_attribute("data-status")) == (
            "done",
            "indexed",
        ), page.inner_text("#upload-outcomes")
        _shot(page, "6-agreement-added")
