from dataclasses import replace

import numpy as np
import pytest

from index.embed import HashEmbedder
from index.embedded import EmbeddedEngine
from index.lexical import LexicalIndex
from index.search import (
    COVERAGE_FLOOR,
    COVERAGE_FULL,
    LEXICAL_WEIGHT_MAX,
    SENTENCE_WEIGHT,
    Filters,
    Index,
    Parts,
    coverage_ramp,
)
from index.statements import StatementTable
from index.vectors import VectorIndex
from ingest.documents import Chunk, Document, Section
from ingest.statements import document_statements


def make_document(
    doc_id: str,
    passages: list[str],
    *,
    unit: str = "",
    organisation: str = "",
    year: str = "",
    doc_type: str = "driftsaftale",
    kinds: list[str] | None = None,
) -> Document:
    """One section per passage, one chunk per section, offsets into the joined text."""
    text = "\n\n".join(passages)
    sections, start = [], 0
    for n, passage in enumerate(passages):
        end = start + len(passage)
        heading = (f"Afsnit {n + 1}",)
        kind = kinds[n] if kinds else "other"
        chunk = Chunk(f"{doc_id}:{n:04d}", doc_id, heading, passage, start, end, n + 1, n + 1, "", kind)
        sections.append(Section(heading, start, end, n + 1, n + 1, passage, (chunk,)))
        start = end + 2
    return Document(
        doc_id,
        f"{doc_id}.txt",
        f"Aftale {doc_id}",
        organisation,
        unit,
        year,
        doc_type,
        text,
        "hash",
        tuple(range(0, len(text), max(1, len(text) // max(1, len(passages))))),
        tuple(sections),
    )


def make_index(documents: list[Document]) -> Index:
    embedder = HashEmbedder(dimension=64)
    chunks = [chunk for document in documents for chunk in document.chunks]
    texts = [chunk.embedding_text() for chunk in chunks]
    vectors = VectorIndex(embedder.embed_passages(texts), 64)
    statements = [s for document in documents for s in document_statements(document)]
    table = StatementTable(statements, embedder.embed_passages([s.embedding_text() for s in statements]))
    engine = EmbeddedEngine.of(documents, vectors, LexicalIndex.build(texts))
    return Index(documents, engine, lambda: embedder, statements=table)


@pytest.fixture
def index() -> Index:
    return make_index(
        [
            make_document(
                "a",
                ["Sygefravær skal nedbringes til 4,5 % i 2022.", "Borgerne oplever trivsel i hverdagen."],
                unit="Bostedet Åbo",
                organisation="Aarhus Kommune",
                year="2022",
            ),
            make_document(
                "b",
                ["Budgettet er 13.4 mio. kr.", "Medarbejderne deltager i kompetenceudvikling."],
                unit="Botilbuddet Lyngen",
                organisation="Odense Kommune",
                year="2015-2016",
                doc_type="udviklingsaftale",
            ),
        ]
    )


def test_inflected_danish_query_finds_the_base_form(index: Index) -> None:
    assert index.search("sygefraværet", top_k=1)[0].id == "a:0000"


def test_number_query_finds_the_chunk_with_that_number(index: Index) -> None:
    assert index.search("13.4 mio. kr.", top_k=1)[0].id == "b:0000"


def test_hits_carry_their_source(index: Index) -> None:
    hit = index.search("budgettet", top_k=1)[0]
    assert (hit.document_id, hit.document_title, hit.unit, hit.year) == (
        "b",
        "Aftale b",
        "Botilbuddet Lyngen",
        "2015-2016",
    )
    assert hit.section == "Afsnit 1" and hit.heading_path == ("Afsnit 1",) and hit.page == 1
    assert index.documents["b"].text[hit.start : hit.end] == hit.text
    assert hit.lexical_score > 0 and -1.0 <= hit.dense_score <= 1.0


def test_hits_are_sorted_by_fused_score(index: Index) -> None:
    scores = [hit.score for hit in index.search("trivsel og sygefravær", top_k=4)]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("filters", "expected_documents"),
    [
        (Filters(unit="åbo"), {"a"}),
        (Filters(unit="BOTILBUDDET"), {"b"}),
        (Filters(organisation="odense"), {"b"}),
        (Filters(year="2022"), {"a"}),
        (Filters(year="2015-2016"), {"b"}),
        (Filters(year="2015"), set()),  # year is exact, not contained
        (Filters(doc_type="Udviklingsaftale"), {"b"}),
        (Filters(document_id="A"), {"a"}),
        (Filters(unit="åbo", year="2015-2016"), set()),
        (Filters(), {"a", "b"}),
    ],
)
def test_filters_restrict_hits_to_matching_documents(
    index: Index, filters: Filters, expected_documents: set[str]
) -> None:
    hits = index.search("sygefravær budget trivsel", top_k=10, filters=filters)
    assert {hit.document_id for hit in hits} == expected_documents


def test_a_filter_does_not_change_the_order_within_the_document(index: Index) -> None:
    unfiltered = [h.id for h in index.search("trivsel", top_k=10) if h.document_id == "a"]
    filtered = [h.id for h in index.search("trivsel", top_k=10, filters=Filters(unit="åbo"))]
    assert filtered == unfiltered


@pytest.mark.parametrize("query", ["", "   "])
def test_blank_query_returns_nothing(index: Index, query: str) -> None:
    assert index.search(query) == []


def test_chunk_lookup_by_id(index: Index) -> None:
    assert index.chunk("b:0001").text.startswith("Medarbejderne")
    assert index.document_of("b:0001").id == "b"
    with pytest.raises(KeyError):
        index.chunk("nope:0000")


@pytest.mark.parametrize(
    ("coverage", "expected"),
    [
        (0.0, 0.0),
        (COVERAGE_FLOOR, 0.0),
        ((COVERAGE_FLOOR + COVERAGE_FULL) / 2, LEXICAL_WEIGHT_MAX / 2),
        (COVERAGE_FULL, LEXICAL_WEIGHT_MAX),
        (1.0, LEXICAL_WEIGHT_MAX),
    ],
)
def test_lexical_weight_rises_with_vocabulary_coverage(coverage: float, expected: float) -> None:
    assert LEXICAL_WEIGHT_MAX * coverage_ramp(coverage) == pytest.approx(expected)


def test_query_outside_the_corpus_vocabulary_is_ranked_by_dense_alone(index: Index) -> None:
    hits = index.search("What is the sickness absence target for the employees?", top_k=4)
    assert all(hit.lexical_score == 0 for hit in hits)
    dense = [hit.dense_score for hit in hits]
    assert dense == sorted(dense, reverse=True)


@pytest.mark.parametrize("rows", [1, 2, 40])
def test_score_moments_equal_the_mean_and_spread_of_every_rows_score(rows: int) -> None:
    generator = np.random.default_rng(rows)
    vectors = VectorIndex(generator.normal(size=(rows, 16)), 16)
    query = generator.normal(size=16)
    scores = vectors.scores_for(query, np.arange(rows))
    mean, std = vectors.score_moments(query)
    assert mean == pytest.approx(float(scores.mean()), abs=1e-5)
    assert std == pytest.approx(float(scores.std()), abs=1e-5)


def test_parts_disagreeing_in_size_are_rejected() -> None:
    document = make_document("a", ["Et afsnit."])
    with pytest.raises(ValueError, match="disagree"):
        EmbeddedEngine.of([document], VectorIndex(np.zeros((2, 64)), 64), LexicalIndex.build(["Et afsnit."]))


@pytest.fixture
def precedents() -> Index:
    goal = "Målet er at nedbringe sygefraværet blandt medarbejderne."
    return make_index(
        [
            make_document("big", [goal] * 5, kinds=["goal", "goal", "goal", "other", "other"]),
            make_document("small1", [goal, "Andet emne om budget."], kinds=["goal", "other"]),
            make_document(
                "small2", ["Sygefraværet blandt medarbejderne skal ned.", "Budget."], kinds=["goal", "other"]
            ),
        ]
    )


def test_similar_caps_hits_per_document(precedents: Index) -> None:
    hits = precedents.similar("nedbringe sygefravær blandt medarbejdere", top_k=5, per_document=2)
    per_document = [hit.document_id for hit in hits]
    assert max(per_document.count(d) for d in set(per_document)) <= 2
    assert {"big", "small1", "small2"} <= set(per_document)


def test_similar_filters_on_section_kind(precedents: Index) -> None:
    hits = precedents.similar("nedbringe sygefravær", top_k=10, section_kind="GOAL", per_document=5)
    assert hits and all(hit.section_kind == "goal" for hit in hits)
    assert len(hits) == 5  # three goal chunks in "big", one each in the others


def test_similar_combines_filters_and_section_kind(precedents: Index) -> None:
    hits = precedents.similar("budget", top_k=10, filters=Filters(document_id="small1"), section_kind="other")
    assert [hit.id for hit in hits] == ["small1:0001"]


@pytest.mark.parametrize("top_k", [0, -1])
def test_non_positive_top_k_returns_nothing(index: Index, top_k: int) -> None:
    assert index.search("sygefravær", top_k=top_k) == []
    assert index.similar("sygefravær", top_k=top_k) == []


def test_top_k_larger_than_the_candidate_pool_returns_every_chunk() -> None:
    documents = [make_document(f"d{n}", [f"Afsnit nummer {n} om emne {m}." for m in range(30)]) for n in range(3)]
    assert len(make_index(documents).search("afsnit", top_k=90)) == 90


def test_documents_sharing_a_title_are_cited_with_their_file_name() -> None:
    first, second, other = (
        make_document(i, [f"Tilsynet omfatter {n} borgere."]) for i, n in (("a", 5), ("b", 6), ("c", 7))
    )
    second = replace(second, title=first.title)
    index = make_index([first, second, other])
    titles = {hit.document_id: hit.document_title for hit in index.search("borgere tilsynet", top_k=3)}
    assert titles == {"a": "Aftale a – a.txt", "b": "Aftale a – b.txt", "c": "Aftale c"}


def test_rows_taken_from_a_vector_index_stay_valid_after_the_index_is_gone() -> None:
    import gc

    from index.vectors import normalise

    source = np.random.default_rng(3).normal(size=(500, 32)).astype(np.float32)
    rows = VectorIndex(source, 32).vectors  # a view of the rows FAISS holds; the VectorIndex is dropped at once
    gc.collect()
    _ = [np.ones((500, 32)) for _ in range(20)]  # memory a freed index would hand to these
    assert np.allclose(rows, normalise(source))


def test_a_passage_whose_one_statement_matches_outranks_a_passage_matching_only_as_a_whole() -> None:
    """The dense side blends the passage's own standard score with its best statement's."""
    one = np.ones(2)
    parts = Parts(
        pool=["whole", "one-statement"],
        dense=one,
        lexical=np.zeros(2),
        statement=one,
        dense_z=np.array([1.0, 0.8]),
        lexical_z=np.zeros(2),
        statement_z=np.array([0.0, 2.0]),
        lexical_share=0.0,
    )
    assert (int(np.argmax(parts.fused(0.0))), int(np.argmax(parts.fused(SENTENCE_WEIGHT)))) == (0, 1)


def test_best_statements_give_each_passage_its_closest_statement_and_nan_without_any() -> None:
    document = make_document("a", ["Sygefraværet skal ned. Budgettet er 4 mio. kr.", "Trivsel måles årligt."])
    index = make_index([document])
    query = HashEmbedder(dimension=64).embed_query("budget mio kr")
    best, mean, std = index.best_statements(["a:0000", "a:0001"], query)
    table = index.statements
    expected = [float(np.max(table.vectors[table.within("a", c.start, c.end)] @ query)) for c in document.chunks]
    assert np.allclose(best, expected) and std > 0
    bare = Index([document], index.engine, lambda: HashEmbedder(dimension=64))  # an index without statements
    assert np.isnan(bare.best_statements(["a:0000"], query)[0]).all()
