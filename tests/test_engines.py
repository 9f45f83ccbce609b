"""The search-engine boundary, run against both engines: the embedded one and real Milvus (milvus-lite 2.5.1).

Each test states one behaviour every engine must have; the parity tests check that Milvus ranks as the embedded
engine does, so switching AFTALER_SEARCH_BACKEND changes where the rows live, not the answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.embed import HashEmbedder
from index.embedded import EmbeddedEngine
from index.engine import SearchEngine, Where, engine_rows
from index.lexical import LexicalIndex, tokenize
from index.milvus import MilvusEngine
from index.milvus_client import connect
from index.search import Filters, Index
from index.vectors import VectorIndex
from ingest.documents import Document
from tests.test_search import make_document

pytest.importorskip("milvus_lite")

EMBEDDER = HashEmbedder(dimension=64)


def corpus() -> list[Document]:
    return [
        make_document(
            "a",
            [
                "Sygefravær skal nedbringes til 4,5 % i 2022.",
                "Borgerne oplever trivsel i hverdagen.",
                "Medarbejderne får supervision hver måned.",
            ],
            unit="Bostedet Åbo",
            organisation="Aarhus Kommune",
            year="2022",
            kinds=["goal", "other", "other"],
        ),
        make_document(
            "b",
            ["Budgettet er 13.4 mio. kr.", "Medarbejderne deltager i kompetenceudvikling.", "Sygefraværet er 6 %."],
            unit="Botilbuddet Lyngen",
            organisation="Odense Kommune",
            year="2015-2016",
            doc_type="udviklingsaftale",
            kinds=["other", "goal", "goal"],
        ),
        make_document(
            "c",
            ["Trivsel blandt borgerne måles årligt.", "Målet for sygefravær er 5 % i 2023."],
            unit="Rosenhaven",
            organisation="Aarhus Kommune",
            year="2023",
        ),
    ]


def vectors_of(document: Document) -> np.ndarray:
    return EMBEDDER.embed_passages([chunk.embedding_text() for chunk in document.chunks])


def embedded(documents: list[Document]) -> EmbeddedEngine:
    texts = [chunk.embedding_text() for d in documents for chunk in d.chunks]
    return EmbeddedEngine.of(documents, VectorIndex(EMBEDDER.embed_passages(texts), 64), LexicalIndex.build(texts))


@pytest.fixture(scope="module")
def milvus_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    client = connect(str(tmp_path_factory.mktemp("milvus") / "engine.db"))
    yield client
    client.close()


def milvus(client: object, prefix: str, documents: list[Document]) -> MilvusEngine:
    engine = MilvusEngine(client, prefix)
    engine.reset()
    for document in documents:
        engine.upsert(document.id, engine_rows(document), vectors_of(document))
    return engine


@pytest.fixture(params=["embedded", "milvus"])
def make_engine(request: pytest.FixtureRequest, milvus_client: object):
    counter = iter(range(1000))

    def make(documents: list[Document]) -> SearchEngine:
        if request.param == "embedded":
            return embedded(documents)
        return milvus(milvus_client, f"t{request.node.name.split('[')[0][-20:]}_{next(counter)}", documents)

    return make


def index_over(engine: SearchEngine, documents: list[Document]) -> Index:
    return Index(documents, engine, lambda: EMBEDDER)


QUERIES = ["sygefravær 2022", "trivsel blandt borgerne", "budget mio. kr.", "supervision", "What is the budget?"]


def test_every_row_is_stored(make_engine) -> None:
    documents = corpus()
    engine = make_engine(documents)
    assert sorted(engine.ids()) == sorted(c.id for d in documents for c in d.chunks)


def test_document_filter_returns_only_that_documents_rows(make_engine) -> None:
    documents = corpus()
    index = index_over(make_engine(documents), documents)
    hits = index.search("sygefravær", top_k=10, filters=Filters(unit="lyngen"))
    assert {hit.document_id for hit in hits} == {"b"}


def test_section_kind_filter_returns_only_that_kind(make_engine) -> None:
    documents = corpus()
    engine = make_engine(documents)
    ranked = engine.dense(EMBEDDER.embed_query("sygefravær"), 10, Where(None, "goal"))
    kinds = {c.id: c.section_kind for d in documents for c in d.chunks}
    assert {kinds[i] for i in ranked.ids} == {"goal"}


def test_upsert_replaces_a_documents_rows(make_engine) -> None:
    documents = corpus()
    engine = make_engine(documents)
    changed = make_document("b", ["Ventetiden er 14 dage."], unit="Botilbuddet Lyngen")
    engine.upsert("b", engine_rows(changed), vectors_of(changed))
    assert sorted(i for i in engine.ids() if i.startswith("b:")) == ["b:0000"]
    assert engine.lexical(tokenize("ventetiden"), 5, Where()).ids == ["b:0000"]
    assert engine.lexical(tokenize("budgettet"), 5, Where()).ids == []


def test_delete_removes_a_documents_rows_and_its_terms(make_engine) -> None:
    documents = corpus()
    engine = make_engine(documents)
    engine.delete("b")
    assert len(engine) == 5
    assert not any(i.startswith("b:") for i in engine.ids())
    assert engine.coverage(tokenize("budgettet")) == 0.0


@pytest.fixture(scope="module")
def both(milvus_client: object) -> tuple[EmbeddedEngine, MilvusEngine]:
    """The same documents in both engines, built once for the parity tests."""
    return embedded(corpus()), milvus(milvus_client, "parity", corpus())


@pytest.mark.parametrize("query", QUERIES)
def test_milvus_ranks_as_the_embedded_engine(query: str, both) -> None:
    documents = corpus()
    reference = index_over(both[0], documents).search(query, top_k=8)
    found = index_over(both[1], documents).search(query, top_k=8)
    assert [h.id for h in found] == [h.id for h in reference]
    assert [h.score for h in found] == pytest.approx([h.score for h in reference], abs=1e-4)


@pytest.mark.parametrize("query", QUERIES)
def test_milvus_score_moments_equal_the_embedded_ones(query: str, both) -> None:
    reference, engine = both
    vector, tokens = EMBEDDER.embed_query(query), tokenize(query)
    assert engine.dense_moments(vector) == pytest.approx(reference.dense_moments(vector), abs=1e-5)
    assert engine.lexical_moments(tokens) == pytest.approx(reference.lexical_moments(tokens), rel=1e-3, abs=1e-6)
    assert engine.coverage(tokens) == pytest.approx(reference.coverage(tokens))


def test_a_new_engine_object_reads_the_rows_and_statistics_another_one_wrote(milvus_client: object) -> None:
    documents = corpus()
    writer = milvus(milvus_client, "shared", documents)
    reader = MilvusEngine(milvus_client, "shared")
    vector = EMBEDDER.embed_query("trivsel")
    assert (len(reader), reader.dense_moments(vector)) == (len(writer), writer.dense_moments(vector))


def test_a_milvus_lite_file_open_in_another_process_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    from index.errors import SearchEngineUnavailableError

    path = tmp_path / "busy.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from index.milvus_client import connect; connect({str(path)!r}); print('open', flush=True); input()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(SearchEngineUnavailableError, match="one process only"):
            connect(str(path))
    finally:
        holder.kill()
        holder.wait()


def test_a_milvus_that_went_away_is_a_clear_unavailable_error(tmp_path: Path) -> None:
    from milvus_lite.server_manager import server_manager_instance

    from index.errors import SearchEngineUnavailableError

    path = str(tmp_path / "gone.db")
    engine = milvus(connect(path), "gone", corpus())
    server_manager_instance.release_server(path)  # the engine process stops, as a server going down would
    with pytest.raises(SearchEngineUnavailableError, match="gone.db failed"):
        engine.dense(EMBEDDER.embed_query("trivsel"), 5, Where())


def test_bm25_moments_past_the_fetched_matches_are_estimated_closer_than_dropped(
    both, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.milvus

    reference, engine = both
    tokens = tokenize("sygefravær trivsel borgerne medarbejderne")
    exact_mean, _ = reference.lexical_moments(tokens)
    monkeypatch.setattr(index.milvus, "MOMENT_ROWS", 2)  # as if the query matched more rows than are fetched
    engine.refresh()
    estimated_mean, _ = engine.lexical_moments(tokens)
    fetched = sorted(engine._matches(tokens).values(), reverse=True)
    dropped_mean = sum(fetched) / len(engine)
    engine.refresh()
    assert abs(estimated_mean - exact_mean) < abs(dropped_mean - exact_mean)


def test_candidates_below_the_fetched_matches_keep_their_bm25_score(both, monkeypatch: pytest.MonkeyPatch) -> None:
    import index.milvus

    reference, engine = both
    tokens = tokenize("sygefravær trivsel borgerne medarbejderne")
    ids = reference.lexical(tokens, 8, Where()).ids
    monkeypatch.setattr(index.milvus, "MOMENT_ROWS", 2)  # only the best two matches are fetched
    engine.refresh()
    vector = EMBEDDER.embed_query("sygefravær")
    _, lexical = engine.rescore(vector, tokens, ids)
    engine.refresh()
    assert lexical.tolist() == pytest.approx(reference.rescore(vector, tokens, ids)[1].tolist(), rel=1e-4)


def test_a_milvus_lite_server_slow_to_open_its_socket_is_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import milvus_lite

    # The real server, started 2 s late: later than milvus-lite's 0.5 s wait before pymilvus calls it.
    real = Path(milvus_lite.__file__).parent / "lib"
    slow = tmp_path / "bin"
    slow.mkdir()
    script = slow / "milvus"
    script.write_text(f'#!/bin/sh\nsleep 2\nLD_LIBRARY_PATH="{real}" exec "{real}/milvus" "$@"\n')
    script.chmod(0o755)
    monkeypatch.setenv("BIN_PATH", str(slow))

    client = connect(str(tmp_path / "slow.db"))

    assert client.list_collections() == []
