"""Metric figures extracted from the five seed agreements, asserted against what their text states."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from ingest.documents import Chunk, Document, Section
from ingest.metrics import comparison_topic, match_topic
from ingest.pipeline import ingest_folder
from ingest.statements import split_statements
from ingest.targets import Target, extract_targets, short_name_of, targets_from_records, targets_to_records

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
CJU, BAKKEGAARDEN, RANDERS, SKANDERBORG, MYNDIGHED = (
    "000_28f8ad800d7c058d",
    "001_571ba193d4004f1f",
    "002_ec4914dd63b103d0",
    "003_ff115b373d189d37",
    "004_214d0db0cfb024cb",
)


@functools.cache
def seed_documents() -> dict[str, Document]:
    """The seeds by file stem, ingested by the real pipeline."""
    documents, _errors = ingest_folder(CORPUS)
    return {Path(document.path).stem: document for document in documents}


@functools.cache
def seed_targets() -> tuple[Target, ...]:
    return tuple(target for document in seed_documents().values() for target in extract_targets(document))


def _stem(target: Target) -> str:
    return next(stem for stem, document in seed_documents().items() if document.id == target.document_id)


def _figures(metric: str) -> set[tuple[str, str, str, str, str]]:
    return {(_stem(t), t.value, t.kind, t.year, t.unit) for t in seed_targets() if t.metric == metric}


def test_sick_leave_figures_are_exactly_those_the_agreements_state() -> None:
    assert _figures("sygefravaer") == {
        (CJU, "4,5 %", "target", "2022", "CJU"),
        (BAKKEGAARDEN, "8,1%", "baseline", "2017", "Socialområdet"),
        (BAKKEGAARDEN, "6,8%", "actual", "2021", "Socialområdet"),
        (BAKKEGAARDEN, "6,75 %", "target", "2022", "det samlede socialområde"),
        (BAKKEGAARDEN, "8 %", "target", "2022", "Bakkegården"),
        (SKANDERBORG, "4,4 %", "actual", "2022", "Arbejdsmarked og Social"),
        (SKANDERBORG, "3,4 %", "target", "2023", "Arbejdsmarked og Social"),
        (SKANDERBORG, "2,9 %", "target", "2023", "Kompetencecenteret"),
        (SKANDERBORG, "4,3 %", "target", "2023", "Center for Job, Social og Udbetaling"),
        (SKANDERBORG, "2,5 %", "target", "2023", "Center for Unge, Uddannelse og Rusmiddelbehandling"),
        (SKANDERBORG, "3,7 %", "target", "2023", "Center for Job, Erhverv og Rehabilitering"),
    }


def test_turnover_baseline_and_target_come_from_one_sentence() -> None:
    unit = "CJU"  # the short name the agreement uses for itself: one unit, not "CJU" and "CJU - Center ..."
    assert _figures("personaleomsaetning") == {
        (CJU, "27,3 %", "baseline", "2019", unit),
        (CJU, "16,7 %", "target", "2022", unit),
    }


def test_total_absence_is_not_sick_leave() -> None:
    unit = "CJU"  # the short name the agreement uses for itself: one unit, not "CJU" and "CJU - Center ..."
    assert _figures("samlet_fravaer") == {
        (CJU, "12 %", "baseline", "2019", unit),
        (CJU, "10,5 %", "target", "2022", unit),
    }


def test_role_clarity_separates_municipality_unit_and_target() -> None:
    # The agreement sets the 2022 goal "sammenholdt med Trivselsundersøgelsen 2020": CJU's 2020 figure is the
    # baseline; the whole municipality's is a comparison figure, an actual.
    assert _figures("rolleklarhed") == {
        (CJU, "70%", "actual", "2020", "Hele Kommunen"),
        (CJU, "68,3%", "baseline", "2020", "CJU"),
        (CJU, "75%", "target", "2022", "CJU"),
    }


def test_meeting_time_target_applies_to_the_document_unit() -> None:
    unit = seed_documents()[SKANDERBORG].unit
    assert _figures("moeder") == {(SKANDERBORG, "10%", "target", "2023", unit)}


def test_customer_satisfaction_indicator_is_for_the_whole_area() -> None:
    assert _figures("tilfredshed") == {(BAKKEGAARDEN, "80 %", "target", "2022", "det samlede socialområde")}


def test_adverse_event_deadline_is_a_target_in_days() -> None:
    values = {(stem, value, kind) for stem, value, kind, _, _ in _figures("uth")}
    assert values == {(BAKKEGAARDEN, "90 dage", "target")}


def test_sub_unit_and_years_come_from_the_sentence() -> None:
    [target] = [t for t in seed_targets() if t.value == "2,9 %"]
    assert target.quote == "Kompetencecenteret = 2,9 % i 2023"
    assert target.number == pytest.approx(2.9)
    assert target.measure == "%"


@pytest.mark.parametrize(
    "not_a_figure",
    ["§103", "§§ 103/104", "28 dage", "15 år", "12 måneder", "5 år", "2 sagsbehandlere", "1.000 kr"],
)
def test_law_paragraphs_ages_periods_and_counts_are_not_figures(not_a_figure: str) -> None:
    assert not [t for t in seed_targets() if t.value == not_a_figure]


def test_every_value_is_verbatim_in_its_quote_and_the_quote_at_its_offsets() -> None:
    documents = {document.id: document for document in seed_documents().values()}
    assert seed_targets()
    for target in seed_targets():
        assert target.value in target.quote
        assert documents[target.document_id].text[target.start : target.end] == target.quote


def test_targets_survive_a_record_round_trip() -> None:
    targets = list(seed_targets())
    assert targets_from_records(targets_to_records(targets)) == targets


@pytest.mark.parametrize(
    ("topic", "keys"),
    [
        ("sygefraværsmål", ["sygefravaer"]),
        ("sygefraværsmålene", ["sygefravaer"]),
        ("sick-leave targets", ["sygefravaer"]),
        ("Sick leave", ["sygefravaer"]),
        ("fravær", ["sygefravaer", "samlet_fravaer"]),
        ("trivselsmål", ["trivsel"]),
        ("job satisfaction", ["trivsel"]),
        ("role clarity", ["rolleklarhed"]),
        # The survey measures both well-being and role clarity; "trivsel" alone is well-being only.
        ("trivselsundersøgelse", ["trivsel", "rolleklarhed"]),
        ("the well-being survey", ["trivsel", "rolleklarhed"]),
        ("trivsel", ["trivsel"]),
        ("staff turnover", ["personaleomsaetning"]),
        ("møder", ["moeder"]),
        ("UTH-sager", ["uth"]),
        ("adverse events", ["uth"]),
        ("kundetilfredshed", ["tilfredshed"]),
        ("parkeringspladser til cykler", ["pladser"]),
        ("parkering", []),
        ("", []),
    ],
)
def test_topics_match_metrics_across_inflection_and_language(topic: str, keys: list[str]) -> None:
    assert match_topic(topic) == keys


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Hvad er sygefraværsmålene på tværs af enhederne?", "sygefraværsmålene"),
        ("Sammenlign sygefraværsmålene", "sygefraværsmålene"),
        ("Compare the sick-leave targets across units", "sick-leave"),
        ("Compare the sick leave targets across units", "sick leave"),
        ("Hvilke trivselsmål har enhederne?", "trivselsmål"),
        ("Compare parking targets across units", "parking"),
        ("Hvad er måltallet for sygefravær på Bakkegården?", None),
        ("What is the sick leave target for CJU?", None),
        ("Give me a comparison of the sick leave targets", "sick leave"),
        ("Sammenligning af trivselsmål", "trivselsmål"),
        ("What did the municipality score on well-being, the figure CJU compares itself with?", None),
        ("Hvilket tal for trivsel sammenligner CJU sig med?", None),
        ("På tværs af hvor mange regioner arbejder institutionerne med dokumentation?", None),
        ("Across how many regions do the institutions work on documentation?", None),
        ("Compare the sick leave targets across all the agreements", "sick leave"),
        ("What was the sickness absence rate across the whole social area in 2021?", None),
    ],
)
def test_comparison_questions_yield_their_topic(question: str, topic: str | None) -> None:
    assert comparison_topic(question) == topic


def _document(sections: list[tuple[str, str]], unit: str = "Solhuset", year: str = "2024") -> Document:
    """A document from (heading, body) pairs, with one section per pair."""
    text, built = "", []
    for heading, body in sections:
        start = len(text)
        text += f"{heading}\n{body}\n"
        chunk = Chunk(f"d:{len(built):04d}", "d", (heading,), text[start:], start, len(text), None, None)
        built.append(Section((heading,), start, len(text), None, None, text[start:], (chunk,)))
    return Document("d", "d.txt", "Aftale", "Kommunen", unit, year, "aftale", text, "", (), tuple(built))


def test_the_heading_names_the_metric_when_the_sentence_does_not() -> None:
    document = _document([("Sygefravær", "Målet er 5,5 % i 2024."), ("Økonomi", "Det tal er 5,5 % i 2024.")])
    [target] = extract_targets(document)
    assert (target.metric, target.value, target.kind, target.section) == (
        "sygefravaer",
        "5,5 %",
        "target",
        "Sygefravær",
    )


def test_a_lead_in_line_carries_metric_and_kind_to_its_bullets() -> None:
    body = "Måltal for trivsel i de enkelte huse:\n- Østhuset = 80 %\n- Vesthuset = 75 % i 2025\nAndet: 10 %"
    targets = extract_targets(_document([("Indsatser", body)]))
    assert [(t.unit, t.value, t.kind, t.year, t.metric) for t in targets] == [
        ("Østhuset", "80 %", "target", "2024", "trivsel"),
        ("Vesthuset", "75 %", "target", "2025", "trivsel"),
    ]


@pytest.mark.parametrize(
    ("sentence", "value", "kind", "year"),
    [
        ("Sygefraværet skal højst være 5 %.", "5 %", "target", "2024"),
        ("Vi ønsker at nå et sygefravær på 4,2 % i 2025.", "4,2 %", "target", "2025"),
        ("Udgangspunktet er et sygefravær på 7 %.", "7 %", "baseline", ""),
        ("Sygefraværet var 6,1 % i 2023.", "6,1 %", "actual", "2023"),
        ("Sygefraværet for de seneste 12 måneder er 5,9 %.", "5,9 %", "actual", ""),
    ],
)
def test_kind_and_year_follow_the_words_before_the_figure(sentence: str, value: str, kind: str, year: str) -> None:
    [target] = extract_targets(_document([("Mål", sentence)]))
    assert (target.value, target.kind, target.year) == (value, kind, year)


def test_a_range_from_baseline_to_a_future_year_is_a_target() -> None:
    document = _document([("Mål", "Personaleomsætningen nedbringes fra 20 % i 2022 til 15 % i 2025.")])
    assert [(t.value, t.kind, t.year) for t in extract_targets(document)] == [
        ("20 %", "baseline", "2022"),
        ("15 %", "target", "2025"),
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "Sygefravær: kontakt tlf. 12 34 56 78 eller se side 4.",
        "Sygefravær behandles efter § 107 og bekendtgørelse nr. 1284 af 17.11.2015.",
        "Sygefravær drøftes på mødet den 3. marts 2024 kl. 14.30.",
        "Vi har 12 pladser og 40 medarbejdere.",
    ],
)
def test_phone_numbers_law_references_dates_and_counts_are_not_targets(sentence: str) -> None:
    assert extract_targets(_document([("Mål", sentence)])) == []


def test_capacity_counts_follow_their_label_and_take_the_row_name_as_unit() -> None:
    places = {(t.unit, t.value) for t in seed_targets() if t.metric == "pladser" and t.measure == ""}
    assert {("Kilen", "20"), ("Kilen", "40"), ("Dimen/Skovly", "10"), ("Næstmark", "23")} <= places
    assert not [t for t in seed_targets() if t.value in ("60", "17", "35")]  # "Borgere: 60" is not places


def test_each_budget_cut_takes_the_year_written_after_it() -> None:
    cuts = {(value, year) for stem, value, _, year, _ in _figures("besparelse") if stem == SKANDERBORG}
    assert cuts == {("4,6 mio. kr.", "2023"), ("9,1 mio. kr.", "2024"), ("3,2 mio. kr.", "2024")}


@pytest.mark.parametrize(
    ("body", "statements"),
    [
        ("Måltallet er: 4,5 %. Dette måltal er aftalt.", ["Måltallet er: 4,5 %.", "Dette måltal er aftalt."]),
        (
            "Der afsættes 13.4 mio. kr. til en hal. Den bygges i 2023.",
            ["Der afsættes 13.4 mio. kr. til en hal.", "Den bygges i 2023."],
        ),
        (
            "Mål for CJU er: • 100 % besættes • Omsætningen falder",
            ["Mål for CJU er:", "100 % besættes", "Omsætningen falder"],
        ),
        ("Samlet indtægt | 2.561.942 kr. |", ["Samlet indtægt | 2.561.942 kr."]),
        ("- Kompetencecenteret = 2,9 % i 2023", ["Kompetencecenteret = 2,9 % i 2023"]),
        ("o Lukker alle UTH-sager inden 90 dage", ["Lukker alle UTH-sager inden 90 dage"]),
        # A sentence wrapped over lines by the PDF is one statement; a label line and its value are two.
        ("Tilsynet gennemføres på hverdage i\ndagtimerne.", ["Tilsynet gennemføres på hverdage i\ndagtimerne."]),
        ("Leder\nKlaus Just", ["Leder", "Klaus Just"]),
        ("Målene er:\nfærre fald", ["Målene er:", "færre fald"]),
        ("Budget | 2022\nmio. kr. | 13,4", ["Budget | 2022", "mio. kr. | 13,4"]),
        # A full stop after an abbreviation does not end the sentence; a line ending with "og" is cut mid-sentence.
        (
            "Vi deltager ikke i gruppen vedr. Projekt om selvbestemmelse. Det gør andre.",
            ["Vi deltager ikke i gruppen vedr. Projekt om selvbestemmelse.", "Det gør andre."],
        ),
        ("Projektet (v. Jørgen Hansen) blev afsluttet.", ["Projektet (v. Jørgen Hansen) blev afsluttet."]),
        (
            "VISO (Den Nationale Videns- og\nSpecialrådgivningsorganisation)",
            ["VISO (Den Nationale Videns- og\nSpecialrådgivningsorganisation)"],
        ),
        ("Mål for trivsel\nSygefravær", ["Mål for trivsel", "Sygefravær"]),
    ],
)
def test_statements_are_sentences_bullets_and_short_rows(body: str, statements: list[str]) -> None:
    document = _document([("Mål", body)])
    found = [s for s in split_statements(document) if s.heading_path == ("Mål",) and s.text != "Mål"]
    assert [s.text for s in found] == statements
    assert all(document.text[s.start : s.end] == s.text for s in found)


def test_a_table_scale_label_is_not_an_amount() -> None:
    body = "Område - hele 1.000 kr |\nBeløb i 1.000 kr. | 2022\nBudget i alt | 1.000 kr. |"
    assert [t.quote for t in extract_targets(_document([("5.2 Budget", body)]))] == ["Budget i alt | 1.000 kr."]


def test_a_measured_figure_beside_a_later_target_for_the_same_unit_is_its_baseline() -> None:
    body = "Rolleklarhed Hele Kommunen 2020: 70% Åbo 2020: 61% Åbo målsætning 2022: 75%"
    found = {(t.value, t.kind) for t in extract_targets(_document([("Mål", body)]))}
    assert found == {("70%", "actual"), ("61%", "baseline"), ("75%", "target")}


def test_each_survey_figure_names_the_parameter_it_is_stated_for() -> None:
    found = {
        (t.value, t.label)
        for t in extract_targets(seed_documents()[CJU])
        if t.metric in {"trivsel", "rolleklarhed"} and t.unit == "Hele Kommunen"
    }
    assert found == {("50%", "Følelsesmæssige krav"), ("70%", "Rolleklarhed"), ("68,5%", "Udviklingsmuligheder")}


@pytest.mark.parametrize(
    ("name", "unit", "short"),
    [
        ("CJU", "CJU - Center for Job & Uddannelse", True),
        ("CJU", "Center for Job og Uddannelse (CJU)", True),
        ("Kilen", "CJU - Center for Job & Uddannelse", False),
        ("CJU - Center for Job & Uddannelse", "CJU - Center for Job & Uddannelse", False),
    ],
)
def test_a_short_name_of_the_agreements_unit_is_the_same_unit(name: str, unit: str, short: bool) -> None:
    assert short_name_of(name, unit) is short
