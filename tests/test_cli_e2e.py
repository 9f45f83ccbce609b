"""The `aftaler` command end to end, in-process, with the real model over the live server's index (built once
for the session); the CLI only reads it here."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from service.cli import EXIT_USAGE, main
from service.config import get_settings
from tests.live_server import REPO, LiveServer

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def aftaler(
    live_server: LiveServer, live_data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Run]:
    monkeypatch.setenv("AFTALER_DATA_DIR", str(live_data_dir))
    monkeypatch.setenv("AFTALER_MODELS_DIR", os.environ.get("AFTALER_MODELS_DIR", str(REPO / "data" / "models")))
    monkeypatch.setenv("AFTALER_CORPUS_DIR", str(REPO / "corpus"))
    monkeypatch.delenv("AFTALER_LLM_URL", raising=False)
    get_settings.cache_clear()

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    get_settings.cache_clear()


def test_ask_json_has_the_api_shape_and_a_verbatim_quote(aftaler: Run) -> None:
    code, out, _ = aftaler("ask", "Hvad er måltallet for sygefravær på Bakkegården?", "--json")
    response = json.loads(out)
    assert code == 0 and response["answered"]
    assert {"question", "answered", "answer", "citations", "passages"} <= set(response)
    citation = response["citations"][-1]
    passage = next(p for p in response["passages"] if p["id"] == citation["passage_id"])
    assert citation["quote"] in passage["text"] and "8 %" in citation["quote"]


def test_ask_in_english_prints_the_closest_statements_and_their_sources_in_english(aftaler: Run) -> None:
    code, out, _ = aftaler("ask", "What is the sick-leave target for Bakkegården?")
    assert code == 0
    assert "1. »Det aftales, at måltallet for sygefravær på Bakkegården er 8 % i 2022.«" in out
    assert "Source: " in out and "Kilde:" not in out


def test_ask_explain_prints_the_trace_with_features_and_the_grade_decision(aftaler: Run) -> None:
    code, out, _ = aftaler("ask", "Hvad er måltallet for sygefravær på Bakkegården?", "--explain")
    trace = json.loads(out[out.index("\n{") + 1 :])
    assert code == 0 and trace["grade"] == "direct" and "figure_ok" in trace["candidates"][0]["features"]


def test_ask_about_something_the_corpus_does_not_say_refuses_and_shows_the_closest_passages(aftaler: Run) -> None:
    code, out, _ = aftaler("ask", "Hvad er måltallet for sygefravær på Solbakken?")
    assert code == 0
    assert out.startswith("Det kan jeg ikke finde i aftalerne") and "Nærmeste passager:" in out


def test_search_prints_ranked_passages_with_their_source(aftaler: Run) -> None:
    code, out, _ = aftaler("search", "sygefravær Bakkegården", "--top-k", "3")
    assert code == 0
    assert [line[:3] for line in out.splitlines() if line.startswith("[")] == ["[1]", "[2]", "[3]"]
    assert "Bakkegården" in out


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("ask", "   "), "question"),
        (("search", "sygefravær", "--top-k", "0"), "top_k"),
    ],
)
def test_bad_input_exits_with_a_usage_error_naming_the_field(aftaler: Run, argv: tuple[str, ...], named: str) -> None:
    code, out, err = aftaler(*argv)
    assert code == EXIT_USAGE and out == ""
    assert err.startswith("aftaler: error:") and named in err and "Traceback" not in err


def test_documents_lists_what_the_server_serves(aftaler: Run, live_server: LiveServer) -> None:
    code, out, _ = aftaler("documents", "--json")
    assert code == 0 and json.loads(out) == httpx.get(f"{live_server.url}/documents", timeout=30).json()


def test_show_of_an_unknown_document_is_a_usage_error_naming_the_id(aftaler: Run) -> None:
    code, _, err = aftaler("show", "no-such-doc")
    assert (code, "no-such-doc" in err, "aftaler documents" in err) == (EXIT_USAGE, True, True)
