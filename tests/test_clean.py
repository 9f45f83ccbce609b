"""Cleaning rules: each trap from the corpus and the real documents, and that body content survives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.clean import (
    clean_pages,
    clean_text,
    join_hyphenated_words,
    normalise_characters,
    remove_related_documents,
    remove_run_together_toc,
    remove_toc_lines,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = sorted(CORPUS.glob("*.txt"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ﬁnansiering og ﬂere", "finansiering og flere"),
        ("Sygefravær\u00a0på 4,5\u00a0%", "Sygefravær på 4,5 %"),
        ("Retssik\u00adkerhed", "Retssikkerhed"),
        ("A\x00B\x07C", "ABC"),
        ("linje\r\nnæste", "linje\nnæste"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("½ time og 12 m² og 13.4 mio. kr.", "½ time og 12 m² og 13.4 mio. kr."),
        ("a" + "\u030a" + "rs", "års"),  # decomposed å composes, so "å" compares equal
    ],
)
def test_characters_are_normalised_without_changing_numbers(raw: str, expected: str) -> None:
    assert normalise_characters(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Syste-\nmatic review", "Systematic\n review"),
        ("Retssik-\nkerhedslovens regler", "Retssikkerhedslovens\n regler"),
        ("et it-\nsystem", "et it-\nsystem"),
        ("CPR-\nnummer", "CPR-\nnummer"),
        ("social-\nog sundhed", "social-\nog sundhed"),
        ("social-\n og sundhed", "social-\n og sundhed"),
        ("2021-\n2024", "2021-\n2024"),
        ("NemID-\nlogin", "NemID-\nlogin"),
        ("kvalitets-\nUdvikling", "kvalitets-\nUdvikling"),
    ],
)
def test_line_end_hyphens_join_only_broken_words(raw: str, expected: str) -> None:
    assert join_hyphenated_words(raw) == expected


def test_toc_lines_are_removed() -> None:
    text = (
        "Indholdsfortegnelse\n1.1. Formål 3\n1.2. Rammer 3\n1.2.1. Arbejdsdeling 4\n"
        "2.6.1. Nedbringelse af sygefravær 17\n"
        "1.1. Formål\nDer er 12 pladser i 2022."
    )
    assert remove_toc_lines(text) == "1.1. Formål\nDer er 12 pladser i 2022."


def test_toc_with_anonymised_page_number_is_removed() -> None:
    text = (
        "1. Indledning 3\n2. Mål 4\n2.1 Styring 4\n2.2 Kvalitet 6\n2.4.5. Resultater på Xxxx 00\n2.5 Sundhed 14\n"
        "3. Opfølgning 19\n1. Indledning\nTekst."
    )
    assert remove_toc_lines(text) == "1. Indledning\nTekst."


@pytest.mark.parametrize(
    "body",
    [
        "1. Borgergennemgange\n2. Lægefagligt sundhedstjek\n3. Patientsikkerhed",
        "Parameter 1: | 7 | opdateret (10)\nParameter 2: | 6 | kort (10)\nParameter 3: | 7 | mål (10)",
        "I alt vægtede pladser 42\nI alt normerede pladser 94\nStykpris 129",
        "Effektmålene er kun for § 103",
        "2. Socialområdets målsætninger i 2022\nSygefravær maksimalt 6,75 %.",
    ],
)
def test_body_text_with_numbers_is_not_taken_for_a_toc(body: str) -> None:
    assert remove_toc_lines(body) == body


def test_run_together_toc_line_is_removed() -> None:
    toc = (
        "Indhold 1 Virksomhedsplan 2015-2016 på socialområdet... 4 1.1 Randersmodellen... 4 "
        "1.2 Virksomhedsplaner som ramme... 5 2 Faglig ramme... 5 2"
    )
    body = "1 Virksomhedsplan 2015-2016 på socialområdet I nærværende skrivelse... beskrives rammerne. 4"
    assert remove_run_together_toc(f"{toc}\n\n{body}") == f"\n{body}"


def test_related_documents_list_is_removed_but_title_kept() -> None:
    text = (
        "Aftale for Team X\n\nRelaterede dokumenter\nAftale for Y\n\nPolitik for Z\n\nTranskript:\n\n"
        "Aftale for Team X Mål 1"
    )
    assert remove_related_documents(text) == "Aftale for Team X\n\n\n\nAftale for Team X Mål 1"


def test_related_documents_without_transcript_marker_are_kept() -> None:
    text = "Titel\nRelaterede dokumenter\nAndet dokument"
    assert remove_related_documents(text) == text


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seed_cleaning_removes_noise_and_keeps_every_body_line(seed: Path) -> None:
    raw = seed.read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    assert "Relaterede dokumenter" not in cleaned
    assert "Indholdsfortegnelse" not in cleaned
    assert "... 4 1.1" not in cleaned
    kept = {line.strip() for line in cleaned.split("\n")}
    # Every line that reads as prose (a sentence end inside it, no dotted leaders) survives verbatim.
    prose = [line for line in raw.split("\n") if re.search(r"[a-zæøå]\. [A-ZÆØÅ]", line) and "..." not in line]
    related = raw.find("Relaterede dokumenter"), raw.find("Transkript:")
    for line in prose:
        if related[0] < raw.find(line) < related[1]:
            continue
        assert line.strip() in kept, line[:80]


@pytest.mark.parametrize(
    "sentence",
    [
        "Det aftales, at måltallet for sygefravær på Bakkegården er 8 % i 2022.",
        "Måltallet for sygefravær i CJU er: 4,5 %.",
        "129.441",
        "I 2016 drejer det sig om en besparelse på 7,3 mio. kr. set i forhold til udgangspunktet primo 2014.",
    ],
)
def test_numbers_in_seed_body_survive_cleaning(sentence: str) -> None:
    cleaned = "\n".join(clean_text(seed.read_text(encoding="utf-8")) for seed in SEEDS)
    assert sentence in cleaned


def test_clean_pages_reports_page_starts() -> None:
    text, starts = clean_pages(["Side et\u00a0tekst", "Side to", "Side tre"])
    assert text == "Side et tekst\n\nSide to\n\nSide tre"
    assert starts == (0, 15, 24)
    assert [text[s : s + 4] for s in starts] == ["Side"] * 3
