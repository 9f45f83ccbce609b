import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.embed import HashEmbedder
from index.errors import IndexCorruptError, IndexIncompatibleError, IndexMissingError
from index.serialize import FORMAT_VERSION, document_from_dict, document_to_dict
from index.statements import statement_from_dict, statement_to_dict
from index.store import build_index, load_index, update_index
from index.vectors import VectorIndex
from ingest.documents import Chunk, Document, Section
from ingest.errors import UnsupportedFormatError
from ingest.pipeline import SUPPORTED_EXTENSIONS
from ingest.statements import Statement

CHUNKING = "chunking-1"


class CountingEmbedder(HashEmbedder):
    def __init__(self, dimension: int = 64, fail_after: int | None = None) -> None:
        super().__init__(dimension)
        self.embedded: list[str] = []
        self.fail_after = fail_after

    def embed_passages(self, texts: list[str], batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        if self.fail_after is not None and len(self.embedded) + len(texts) > self.fail_after:
            raise RuntimeError("embedding died")
        self.embedded.extend(texts)
        return super().embed_passages(texts)


def ingest_paragraphs(path: Path, root: Path) -> Document:
    """Stand-in for ingest.pipeline.ingest_file: one section and chunk per paragraph."""
    if path.suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFormatError(f"{path.name}: not a supported format")
    text = path.read_text(encoding="utf-8")
    if "KORRUPT" in text:
        raise ValueError("cannot parse")
    doc_id = path.stem
    sections, start = [], 0
    for n, paragraph in enumerate(text.split("\n\n")):
        end = start + len(paragraph)
        heading = (f"Afsnit {n + 1}",)
        chunk = Chunk(f"{doc_id}:{n:04d}", doc_id, heading, paragraph, start, end, None, None, "Mål | Måltal", "goal")
        sections.append(Section(heading, start, end, None, None, paragraph, (chunk,)))
        start = end + 2
    relative = path.relative_to(root).as_posix()
    return Document(
        doc_id,
        relative,
        doc_id.title(),
        "Aarhus Kommune",
        "Bostedet",
        "2022",
        "driftsaftale",
        text,
        "h",
        (),
        tuple(sections),
    )


class CountingIngest:
    def __init__(self, interrupt_on: int | None = None) -> None:
        self.paths: list[str] = []
        self.interrupt_on = interrupt_on

    def __call__(self, path: Path, root: Path) -> Document:
        self.paths.append(path.name)
        if self.interrupt_on == len(self.paths):
            raise KeyboardInterrupt
        return ingest_paragraphs(path, root)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


def write_corpus(folder: Path) -> Path:
    """Three small agreements and a hidden file that must be ignored."""
    folder.mkdir()
    (folder / "alpha.txt").write_text("Sygefravær skal ned til 4,5 %.\n\nTrivsel måles årligt.", encoding="utf-8")
    (folder / "beta.txt").write_text("Budgettet er 13.4 mio. kr.", encoding="utf-8")
    (folder / "gamma.txt").write_text("Borgerne har medindflydelse.\n\nPersonalet uddannes.", encoding="utf-8")
    (folder / ".hidden.txt").write_text("ikke med", encoding="utf-8")
    return folder


def update(
    corpus: Path,
    index_dir: Path,
    embedder: object,
    ingest: Callable[[Path, Path], Document] = ingest_paragraphs,
    **kwargs: object,
):  # noqa: ANN202
    return update_index(corpus, index_dir, embedder, ingest, CHUNKING, **kwargs)  # type: ignore[arg-type]


def test_unsupported_file_is_reported_not_silently_ignored(corpus: Path, tmp_path: Path) -> None:
    (corpus / "notes.json").write_text("{}", encoding="utf-8")
    report = update(corpus, tmp_path / "index", CountingEmbedder())
    assert report.added == 3
    assert [f.path for f in report.failures] == ["notes.json"]


def test_first_update_indexes_every_supported_file(corpus: Path, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    report = update(corpus, tmp_path / "index", embedder)
    assert (report.added, report.changed, report.removed, report.unchanged, report.failures) == (3, 0, 0, 0, [])
    assert report.embedded + report.statements_embedded == len(embedder.embedded)
    assert report.embedded == 5
    index = load_index(tmp_path / "index", HashEmbedder())
    assert sorted(index.documents) == ["alpha", "beta", "gamma"]
    assert index.search("sygefraværet", top_k=1)[0].id == "alpha:0000"


def test_unchanged_corpus_is_neither_parsed_nor_embedded_nor_model_loaded(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    ingest = CountingIngest()

    def factory() -> HashEmbedder:
        raise AssertionError("the model must not be loaded for an unchanged corpus")

    started = time.perf_counter()
    report = update(corpus, tmp_path / "index", factory, ingest, model_name="hash-64")
    assert time.perf_counter() - started < 2.0
    assert ingest.paths == [] and report.unchanged == 3 and report.embedded == 0
    assert (report.added, report.changed, report.removed) == (0, 0, 0)


def test_only_added_and_changed_files_are_embedded(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    (corpus / "beta.txt").write_text("Budgettet er 14,2 mio. kr.", encoding="utf-8")
    (corpus / "delta.txt").write_text("Ny aftale om bostøtte.", encoding="utf-8")
    (corpus / "gamma.txt").unlink()
    embedder, ingest = CountingEmbedder(), CountingIngest()
    report = update(corpus, tmp_path / "index", embedder, ingest)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 1)
    assert sorted(ingest.paths) == ["beta.txt", "delta.txt"]
    assert len(embedder.embedded) == report.embedded + report.statements_embedded
    assert report.embedded == 2
    index = load_index(tmp_path / "index", HashEmbedder())
    assert sorted(index.documents) == ["alpha", "beta", "delta"]
    assert index.search("14,2 mio", top_k=1)[0].text == "Budgettet er 14,2 mio. kr."
    assert index.manifest["chunks"] == len(index) == 4


def test_failing_file_is_reported_and_its_old_version_dropped(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    (corpus / "beta.txt").write_text("KORRUPT", encoding="utf-8")
    report = update(corpus, tmp_path / "index", CountingEmbedder())
    assert [f.path for f in report.failures] == ["beta.txt"]
    assert "cannot parse" in report.failures[0].reason and "removed from the index" in report.failures[0].reason
    assert sorted(load_index(tmp_path / "index", HashEmbedder()).documents) == ["alpha", "gamma"]


def test_duplicate_document_id_is_reported(corpus: Path, tmp_path: Path) -> None:
    (corpus / "sub").mkdir()
    (corpus / "sub" / "beta.txt").write_text("En anden beta.", encoding="utf-8")
    report = update(corpus, tmp_path / "index", CountingEmbedder())
    assert [f.path for f in report.failures] == ["sub/beta.txt"]
    assert "beta" in report.failures[0].reason


def test_interrupted_update_leaves_the_old_index_usable(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    for name in ("alpha.txt", "beta.txt", "gamma.txt"):
        (corpus / name).write_text(f"Ny tekst i {name}.", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        update(corpus, tmp_path / "index", CountingEmbedder(), CountingIngest(interrupt_on=2))
    index = load_index(tmp_path / "index", HashEmbedder())
    assert index.chunk("beta:0000").text == "Budgettet er 13.4 mio. kr."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]


def test_failure_while_embedding_leaves_the_old_index_usable(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    (corpus / "delta.txt").write_text("Første.\n\nAndet.\n\nTredje.", encoding="utf-8")
    with pytest.raises(RuntimeError, match="embedding died"):
        update(corpus, tmp_path / "index", CountingEmbedder(fail_after=1))
    assert "delta" not in load_index(tmp_path / "index", HashEmbedder()).documents


def test_swap_interrupted_between_renames_is_recovered(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    os.replace(tmp_path / "index", tmp_path / ".index.old-12345")
    assert sorted(load_index(tmp_path / "index", HashEmbedder()).documents) == ["alpha", "beta", "gamma"]


def test_model_change_reembeds_without_reparsing(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    embedder, ingest = CountingEmbedder(dimension=32), CountingIngest()
    report = update(corpus, tmp_path / "index", embedder, ingest)
    assert ingest.paths == [] and report.embedded == 5
    assert load_index(tmp_path / "index", HashEmbedder(32)).manifest["dimension"] == 32


def test_chunking_version_change_reparses_everything(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    ingest = CountingIngest()
    update_index(corpus, tmp_path / "index", CountingEmbedder(), ingest, "chunking-2")
    assert len(ingest.paths) == 3


def test_missing_index_says_to_run_ingest(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="aftaler ingest"):
        load_index(tmp_path / "index", HashEmbedder())


@pytest.mark.parametrize(
    ("embedder", "chunking", "manifest_change", "named"),
    [
        (HashEmbedder(32), CHUNKING, {}, ["hash-64", "hash-32"]),
        (HashEmbedder(64), "chunking-2", {}, ["chunking-1", "chunking-2"]),
        (HashEmbedder(64), CHUNKING, {"format_version": 99}, ["99", str(FORMAT_VERSION)]),
        (HashEmbedder(64), CHUNKING, {"dimension": 128}, ["128", "64"]),
    ],
)
def test_incompatible_index_names_both_values_and_the_fix(
    corpus: Path,
    tmp_path: Path,
    embedder: HashEmbedder,
    chunking: str,
    manifest_change: dict,
    named: list[str],
) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    manifest_path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, **manifest_change}), encoding="utf-8")
    with pytest.raises(IndexIncompatibleError) as error:
        load_index(tmp_path / "index", embedder, chunking_version=chunking)
    assert all(value in str(error.value) for value in named)
    assert "aftaler ingest --rebuild" in str(error.value)


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "vectors.npy").unlink(),
        lambda folder: (folder / "vectors.npy").write_bytes(b"not numpy"),
        lambda folder: (folder / "documents.jsonl").write_text("{broken", encoding="utf-8"),
        lambda folder: (folder / "manifest.json").write_text("{broken", encoding="utf-8"),
        lambda folder: (folder / "chunk_ids.json").write_text("[]", encoding="utf-8"),
        lambda folder: (folder / "lexical" / "document_frequency.json").unlink(),
    ],
)
def test_damaged_index_is_reported_as_corrupt(corpus: Path, tmp_path: Path, damage: Callable[[Path], object]) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    damage(tmp_path / "index")
    with pytest.raises(IndexCorruptError, match="aftaler ingest --rebuild"):
        load_index(tmp_path / "index", HashEmbedder())


def test_index_past_the_approximate_size_stores_and_searches_an_hnsw_graph(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "exact", CountingEmbedder())
    update(corpus, tmp_path / "graph", CountingEmbedder(), ann_from=2)
    exact, graph = load_index(tmp_path / "exact", HashEmbedder()), load_index(tmp_path / "graph", HashEmbedder())
    assert (tmp_path / "graph" / "vectors.hnsw").is_file() and not (tmp_path / "exact" / "vectors.hnsw").exists()
    # Five rows: the graph finds every one, so the ranking equals exact search.
    assert [h.id for h in graph.search("sygefravær", top_k=5)] == [h.id for h in exact.search("sygefravær", top_k=5)]


@pytest.mark.parametrize(
    "damage",
    [
        lambda folder: (folder / "vectors.hnsw").write_bytes(b"not a graph"),
        lambda folder: VectorIndex(np.ones((2, 64)), 64).save_graph(folder / "vectors.hnsw"),  # 2 rows, not 5
    ],
)
def test_damaged_or_mismatched_graph_is_reported_as_corrupt(
    corpus: Path, tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder(), ann_from=2)
    damage(tmp_path / "index")
    with pytest.raises(IndexCorruptError, match="aftaler ingest --rebuild"):
        load_index(tmp_path / "index", HashEmbedder())


def test_update_rebuilds_a_damaged_index(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    (tmp_path / "index" / "vectors.npy").unlink()
    report = update(corpus, tmp_path / "index", CountingEmbedder())
    assert report.added == 3
    assert len(load_index(tmp_path / "index", HashEmbedder())) == 5


def goal_rows(document: Document) -> dict[str, list[dict]]:
    return {"goals": [{"text": chunk.text} for chunk in document.chunks if "%" in chunk.text or "kr" in chunk.text]}


def test_extras_are_persisted_and_kept_per_document(corpus: Path, tmp_path: Path) -> None:
    calls: list[str] = []

    def extras_fn(document: Document) -> dict[str, list[dict]]:
        calls.append(document.id)
        return goal_rows(document)

    update(corpus, tmp_path / "index", CountingEmbedder(), extras_fn=extras_fn)
    (corpus / "beta.txt").unlink()
    (corpus / "gamma.txt").write_text("Målet er 90 % tilfredshed.", encoding="utf-8")
    update(corpus, tmp_path / "index", CountingEmbedder(), extras_fn=extras_fn)
    assert sorted(calls) == ["alpha", "beta", "gamma", "gamma"]
    goals = load_index(tmp_path / "index", HashEmbedder()).extras["goals"]
    assert sorted((g["document_id"], g["text"]) for g in goals) == [
        ("alpha", "Sygefravær skal ned til 4,5 %."),
        ("gamma", "Målet er 90 % tilfredshed."),
    ]


def test_extras_are_computed_for_stored_documents_that_lack_them(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    ingest = CountingIngest()
    update(corpus, tmp_path / "index", CountingEmbedder(), ingest, extras_fn=goal_rows)
    assert ingest.paths == []
    assert len(load_index(tmp_path / "index", HashEmbedder()).extras["goals"]) == 2


def test_new_extras_version_rederives_extras_without_parsing_or_embedding(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder(), extras_fn=goal_rows, extras_version="1")
    embedder, ingest = CountingEmbedder(), CountingIngest()

    def upper_goals(document: Document) -> dict[str, list[dict]]:
        return {"goals": [{"text": g["text"].upper()} for g in goal_rows(document)["goals"]]}

    update(corpus, tmp_path / "index", embedder, ingest, extras_fn=upper_goals, extras_version="2")
    assert ingest.paths == [] and embedder.embedded == []
    goals = load_index(tmp_path / "index", HashEmbedder()).extras["goals"]
    assert all(g["text"].isupper() for g in goals) and len(goals) == 2


def test_new_tokenizer_rebuilds_the_lexical_index_without_parsing_or_embedding(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    manifest_path = tmp_path / "index" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["lexical_version"] == store.TOKENIZER_VERSION
    monkeypatch.setattr(store, "TOKENIZER_VERSION", "next")
    embedder, ingest = CountingEmbedder(), CountingIngest()
    update(corpus, tmp_path / "index", embedder, ingest)
    assert ingest.paths == [] and embedder.embedded == []
    assert json.loads(manifest_path.read_text())["lexical_version"] == "next"


def test_build_index_requires_extras_to_name_their_document(tmp_path: Path, corpus: Path) -> None:
    document = ingest_paragraphs(corpus / "beta.txt", corpus)
    with pytest.raises(ValueError, match="document_id"):
        build_index([document], tmp_path / "index", HashEmbedder(), CHUNKING, extras={"goals": [{"text": "x"}]})
    build_index(
        [document],
        tmp_path / "index",
        HashEmbedder(),
        CHUNKING,
        extras={"goals": [{"text": "x", "document_id": "beta"}]},
    )
    assert load_index(tmp_path / "index", HashEmbedder()).extras == {"goals": [{"text": "x", "document_id": "beta"}]}


def test_document_survives_a_dict_round_trip() -> None:
    text = "Mål | Indikator | Måltal\nSygefravær | Fraværsdage | 4,5 %"
    chunk = Chunk("d:0000", "d", ("Mål", "Sygefravær"), text, 0, len(text), 2, 3, "Mål | Indikator | Måltal", "goal")
    document = Document(
        "d",
        "sub/d.pdf",
        "Driftsaftale Æblehaven",
        "Københavns Kommune",
        "Æblehaven",
        "2015-2016",
        "drifts- og udviklingsaftale",
        text,
        "abc",
        (0, 10),
        (Section(("Mål", "Sygefravær"), 0, len(text), 2, 3, text, (chunk,)),),
    )
    data = json.loads(json.dumps(document_to_dict(document)))
    assert document_from_dict(data) == document


def test_a_statement_survives_a_dict_round_trip_with_its_label_and_row() -> None:
    text = "Nr | Forening | Beløb\n6 | Natcaféen | 85.000"
    start = text.index("85.000")
    statement = Statement(
        "85.000", start, len(text), ("Tilskud",), "", document_id="d", kind="row", label="Beløb", row="6 | Natcaféen"
    )
    data = json.loads(json.dumps(statement_to_dict(statement)))
    assert statement_from_dict(data, text) == statement


def test_failure_while_writing_leaves_the_old_index_and_no_temp_folder(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    (corpus / "beta.txt").write_text("Budgettet er 14,2 mio. kr.", encoding="utf-8")

    def broken_build(texts: list[str]) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("index.serialize.LexicalIndex.build", broken_build)
    with pytest.raises(OSError, match="disk full"):
        update(corpus, tmp_path / "index", CountingEmbedder())
    monkeypatch.undo()
    assert load_index(tmp_path / "index", HashEmbedder()).chunk("beta:0000").text == "Budgettet er 13.4 mio. kr."
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]


def test_loading_with_a_factory_defers_the_model_to_the_first_search(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    loads: list[int] = []

    def factory() -> HashEmbedder:
        loads.append(1)
        return HashEmbedder()

    index = load_index(tmp_path / "index", factory, model_name="hash-64")
    assert loads == []
    assert index.search("budget", top_k=1)[0].document_id == "beta"
    assert loads == [1]


def test_lazily_loaded_model_of_another_dimension_is_refused_on_first_search(corpus: Path, tmp_path: Path) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    index = load_index(tmp_path / "index", lambda: HashEmbedder(32), model_name="hash-64")
    with pytest.raises(IndexIncompatibleError, match="64-dimensional"):
        index.search("budget")


def test_an_embedder_class_is_treated_as_a_factory(corpus: Path, tmp_path: Path) -> None:
    report = update(corpus, tmp_path / "index", HashEmbedder, model_name="hash-64")
    assert report.embedded == 5


def test_unreadable_file_is_reported_not_fatal(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from index import store

    real_hash = store.file_hash

    def failing_hash(path: Path) -> str:
        if path.name == "beta.txt":
            raise PermissionError("permission denied")
        return real_hash(path)

    monkeypatch.setattr(store, "file_hash", failing_hash)
    report = update(corpus, tmp_path / "index", CountingEmbedder())
    assert [f.path for f in report.failures] == ["beta.txt"] and report.added == 2
    assert "permission denied" in report.failures[0].reason


def test_real_corpus_round_trips_and_reingests_unchanged_quickly(tmp_path: Path) -> None:
    pipeline = pytest.importorskip("ingest.pipeline", reason="ingest.pipeline is not written yet")
    corpus_dir = Path(__file__).resolve().parents[1] / "corpus"
    first = update_index(corpus_dir, tmp_path / "index", HashEmbedder(), pipeline.ingest_file, CHUNKING)
    assert first.added == len(list(corpus_dir.glob("*.txt"))) and first.failures == []
    index = load_index(tmp_path / "index", HashEmbedder())
    for document in index.documents.values():
        assert all(document.text[c.start : c.end] == c.text for c in document.chunks)
    ingest = CountingIngest()
    started = time.perf_counter()
    again = update_index(corpus_dir, tmp_path / "index", HashEmbedder, ingest, CHUNKING, model_name="hash-64")
    assert time.perf_counter() - started <= 2.0
    assert ingest.paths == [] and again.unchanged == first.added and again.embedded == 0
    assert any("sygefravær" in hit.text.casefold() for hit in index.search("sygefraværet", top_k=3))
