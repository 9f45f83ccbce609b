"""Sections follow each seed's own structure; chunks are verbatim, sentence-whole and retrieval-sized."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from ingest.clean import clean_text
from ingest.documents import Section
from ingest.headings import find_headings, follows
from ingest.split import MAX_CHARS, SECTION_KINDS, kind_of, section_kind, split_document

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = {path.name[:3]: path for path in sorted(CORPUS.glob("*.txt"))}


@cache
def seed(key: str) -> tuple[str, tuple[Section, ...]]:
    text = clean_text(SEEDS[key].read_text(encoding="utf-8"))
    return text, split_document(f"doc{key}", text, ())


def section_containing(sections: tuple[Section, ...], phrase: str) -> Section:
    return next(s for s in sections if phrase in s.text)


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_every_section_and_chunk_is_a_verbatim_slice(key: str) -> None:
    text, sections = seed(key)
    for section in sections:
        assert text[section.start : section.end] == section.text
        for chunk in section.chunks:
            assert text[chunk.start : chunk.end] == chunk.text
            assert section.start <= chunk.start < chunk.end <= section.end


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_chunk_ids_are_sequential_in_document_order(key: str) -> None:
    _, sections = seed(key)
    chunks = [c for s in sections for c in s.chunks]
    assert [c.id for c in chunks] == [f"doc{key}:{n:04d}" for n in range(len(chunks))]
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_chunks_end_at_sentence_or_line_ends_and_stay_under_the_maximum(key: str) -> None:
    text, sections = seed(key)
    for section in sections:
        for chunk in section.chunks:
            _assert_whole_ending(text, chunk.text, chunk.end, at_section_end=chunk.end == section.end)


def _assert_whole_ending(text: str, chunk_text: str, end: int, at_section_end: bool) -> None:
    after = text[end : end + 1]
    assert after in ("", "\n", " "), chunk_text[-60:]
    if after == " " and not at_section_end:  # inside a run-together line: only after a sentence end
        assert chunk_text.rstrip("\"”’')")[-1] in ".!?", chunk_text[-60:]
    if len(chunk_text) > MAX_CHARS:  # only a single row or sentence may exceed the maximum
        assert "\n" not in chunk_text.strip() or chunk_text.count(". ") == 0, chunk_text[:80]


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_no_noise_among_chunks(key: str) -> None:
    _, sections = seed(key)
    for chunk in (c for s in sections for c in s.chunks):
        assert "Relaterede dokumenter" not in chunk.text
        assert "Indholdsfortegnelse" not in chunk.text
        assert "Transkript:" not in chunk.text


def test_bakkegaarden_sick_leave_target_sits_under_its_numbered_heading() -> None:
    _, sections = seed("001")
    section = section_containing(sections, "måltallet for sygefravær på Bakkegården er 8 % i 2022")
    assert section.heading_path == (
        "2. Socialområdets målsætninger i 2022",
        "2.6. Socialområdet som en attraktiv arbejdsplads",
        "2.6.1. Nedbringelse af sygefravær",
    )


def test_numbered_list_items_inside_a_section_are_not_headings() -> None:
    _, sections = seed("001")
    paths = {s.heading_path[-1] for s in sections if s.heading_path}
    assert "3. Udvikling med borgeren i centrum" not in paths
    assert "1. Borgergennemgange" not in paths
    assert "2.5.2 Lægefagligt sundhedstjek" in paths  # a child without trailing dot still nests under 2.5.


def test_cju_goal_tables_are_sections_under_their_numbered_heading() -> None:
    _, sections = seed("000")
    section = section_containing(sections, "Måltallet for sygefravær i CJU er: 4,5 %")
    assert section.heading_path[:2] == ("3. Kvalitets- og udviklingsmål", "3.3 Ledelse")
    assert section.heading_path[2].startswith("Mål nr. 6 | Fortsat arbejde med lokal handleplan")


def test_cju_table_rows_keep_their_header_row() -> None:
    _, sections = seed("000")
    chunk = next(c for s in sections for c in s.chunks if "Dimen/Skovly | Servicelovens §103" in c.text)
    header = "Navn OBS: Der arbejdes tværgående på matriklerne i CJU. | Lovgrundlag for primær ydelse"
    assert chunk.table_header.startswith(header) or header in chunk.text


def test_headings_inside_run_together_lines_are_found() -> None:
    _, sections = seed("002")
    paths = [s.heading_path for s in sections]
    assert (
        "1 Virksomhedsplan 2015-2016 på socialområdet fra vision til effekt!",
        "1.2 Virksomhedsplaner som retningsgivende ramme for arbejdet",
    ) in paths
    assert any(
        p and p[-1] == "2.2 Randers Kommunes faglige ramme politikker og målgruppespecifikke planer" for p in paths
    )


def test_labelled_goal_groups_restart_numbering_in_scraped_agreement() -> None:
    _, sections = seed("004")
    titles = [s.heading_path[-1] for s in sections if s.heading_path]
    assert titles[:3] == [
        "Fælles mål 1. Borgeren i centrum via rehabilitering",
        "2. Faglig og økonomisk bæredygtighed ved hjælp af mål og opfølgning",
        "Øvrige mål 1. Proaktiv klagesagsbehandling",
    ]
    target = section_containing(sections, "besparelse på 7,3 mio. kr.")
    assert target.heading_path == ("Fælles mål 1. Borgeren i centrum via rehabilitering",)


def test_recurring_template_headings_nest_under_each_goal_title() -> None:
    _, sections = seed("003")
    paths = [s.heading_path for s in sections]
    assert ("God modtagelse", "Baggrund og formål") in paths
    assert ("Lavt sygefravær", "Aktiviteter:") in paths
    titles = {p[0] for p in paths if p}
    assert "Vi vil følge op på udviklingsmålet ved at" not in titles


@pytest.mark.parametrize(
    ("number", "current", "expected"),
    [
        ((1,), None, True),
        ((1, 1), None, True),
        ((2, 5, 2), (2, 5), True),  # the first child may have gone unrecognised
        ((2, 5, 5), (2, 5), False),
        ((2, 5, 1), (2, 5), True),
        ((2, 6), (2, 5, 4), True),
        ((3,), (2, 6, 2), True),
        ((1,), (2, 5), False),
        ((2,), (2, 1), False),
        ((2, 4, 5), (2, 4, 2), True),
        ((9,), (2,), False),
    ],
)
def test_numbering_successors(number: tuple[int, ...], current: tuple[int, ...] | None, expected: bool) -> None:
    assert follows(number, current) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. Indledning\nTekst her.\n1.1 Formål\nMere.", ["1. Indledning", "1.1 Formål"]),
        ("1. Mål\nTekst.\n2022 Bakkegården\nMere.", ["1. Mål"]),
        ("1. Mål\nTekst.\n1. Første\n2. Anden\n3. Tredje", ["1. Mål"]),
        ("Tekst uden overskrifter.", []),
        ("1. Indledning\nTekst.\n2. Mål\nTekst.\n3 Elever i alt\nMere.", ["1. Indledning", "2. Mål"]),
        (
            "1 Plan for året\n" + "Lang tekst om planen. " * 15 + "Vi gør det, der virker. 2 Virksomhedsplanen faglige "
            "ramme 2.1 Faglig ramme for social og arbejdsmarked Chefgruppen har udarbejdet en vision.",
            ["1 Plan for året", "2 Virksomhedsplanen faglige ramme", "2.1 Faglig ramme for social og arbejdsmarked"],
        ),
        (
            "1 Plan\n" + "Lang tekst om planen. " * 15 + "Hvidbog. 3 Definitionen er fra Hvidbog om rehabilitering.",
            ["1 Plan"],
        ),
    ],
)
def test_heading_detection_cases(text: str, expected: list[str]) -> None:
    assert [h.text for h in find_headings(text)] == expected


def test_pages_come_from_page_starts() -> None:
    text = "1. Indledning\nFørste side tekst.\n\n2. Mål\nAnden side tekst."
    sections = split_document("d", text, (0, text.index("2. Mål")))
    assert [(s.page_start, s.chunks[0].page) for s in sections] == [(1, 1), (2, 2)]
    assert split_document("d", text, ())[0].chunks[0].page is None


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (("Mål nr. 6 | Fortsat arbejde",), "Hvilket resultat vil vi opnå i 2022? | 4,5 %", "goal"),
        (
            ("Mål nr. 6 | Fortsat arbejde",),
            "Hvordan og hvornår dokumenteres målopfyldelsen? | I årsrapport",
            "follow-up",
        ),
        (("God modtagelse", "Aktiviteter:"), "- standardskabelon", "activities"),
        (("God modtagelse", "Opfølgning på udviklingsmålet og virkning:"), "Der evalueres", "follow-up"),
        (("X", "Baggrund og formål"), "Tekst", "background"),
        (("5. Økonomi og aktivitetsmål", "5.2 Budget"), "Specifikation", "economy"),
        (("2. Mål", "2.1 Noget"), "Indikator for succes er", "indicators"),
        ((), "Gældende fra den: 1. januar 2022", "other"),
    ],
)
def test_section_kind_from_heading_then_content(path: tuple[str, ...], text: str, expected: str) -> None:
    assert section_kind(path, text) == expected


def test_kind_vocabulary_is_one_table() -> None:
    assert {kind for kind, _ in SECTION_KINDS} == {
        "goal",
        "activities",
        "follow-up",
        "background",
        "indicators",
        "economy",
    }
    assert kind_of("Tidsperspektiv") == ""


def test_a_chunk_never_ends_inside_a_sentence_wrapped_over_lines() -> None:
    # A PDF paragraph with hard line breaks, longer than one chunk: every chunk must end where a sentence does.
    first = "Kommunerne indberetter i kvartal {n} data om"
    second = (
        "indsatserne til KL og Danmarks Statistik, så det samlede billede af den service, borgerne får, kan følges år."
    )
    lines = [line.format(n=n) for n in range(1, 21) for line in (first, second)]
    text = "Indledning\n" + "\n".join(lines) + "\n"
    chunks = [c for section in split_document("doc", text, ()) for c in section.chunks if c.text != "Indledning"]
    assert len(chunks) > 1 and all(c.text.endswith("kan følges år.") for c in chunks)
