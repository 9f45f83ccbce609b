"""An index published to Milvus (milvus-lite 2.5.1, the real engine): what a replica loads equals the index
folder, and a later publish sends only what changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.embed import HashEmbedder
from index.errors import IndexIncompatibleError, IndexMissingError
from index.milvus import MilvusEngine
from index.milvus_client import connect
from index.published import load_published, manifest_version, publish
from index.serialize import read_folder, read_manifest
from index.store import load_index
from tests.test_store import CHUNKING, CountingEmbedder, update, write_corpus

pytest.importorskip("milvus_lite")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture
def engine(tmp_path: Path):
    client = connect(str(tmp_path / "published.db"))
    yield MilvusEngine(client, "pub")
    client.close()


def published(index_dir: Path, engine: MilvusEngine):
    manifest = read_manifest(index_dir)
    return publish(engine, manifest, lambda: read_folder(index_dir, manifest)[0])


def load(engine: MilvusEngine, model: str | None = None):
    return load_published(engine, HashEmbedder, "test Milvus", CHUNKING, model)


def test_a_replica_loads_what_the_folder_holds_and_ranks_alike(corpus: Path, tmp_path: Path, engine) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    published(tmp_path / "index", engine)
    folder, replica = load_index(tmp_path / "index", HashEmbedder()), load(engine)
    assert sorted(replica.documents) == sorted(folder.documents)
    assert len(replica.statements) == len(folder.statements)
    for query in ["sygefravær", "budget 13.4 mio. kr.", "uddannelse af personalet"]:
        assert [h.id for h in replica.search(query, top_k=5)] == [h.id for h in folder.search(query, top_k=5)]


def test_a_second_publish_sends_only_changed_and_removed_documents(corpus: Path, tmp_path: Path, engine) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    first = published(tmp_path / "index", engine)
    version = manifest_version(engine)
    (corpus / "beta.txt").write_text("Budgettet er 14,2 mio. kr.", encoding="utf-8")
    (corpus / "gamma.txt").unlink()
    update(corpus, tmp_path / "index", CountingEmbedder())
    second = published(tmp_path / "index", engine)
    assert ((first.upserted, first.deleted), (second.upserted, second.deleted, second.unchanged)) == ((3, 0), (1, 1, 1))
    assert manifest_version(engine) != version
    replica = load(engine)
    assert (sorted(replica.documents), replica.search("budgettet", top_k=1)[0].text) == (
        ["alpha", "beta"],
        "Budgettet er 14,2 mio. kr.",
    )


def test_publishing_an_unchanged_folder_changes_nothing_and_reads_no_document(
    corpus: Path, tmp_path: Path, engine
) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder())
    published(tmp_path / "index", engine)
    version = manifest_version(engine)

    def must_not_read() -> list:
        raise AssertionError("an unchanged index read its documents")

    again = publish(engine, read_manifest(tmp_path / "index"), must_not_read)
    assert ((again.upserted, again.deleted, again.unchanged), manifest_version(engine)) == ((0, 0, 3), version)


def test_nothing_published_says_to_run_ingest(engine) -> None:
    with pytest.raises(IndexMissingError, match="aftaler ingest"):
        load(engine)


def test_an_index_of_another_model_is_refused_with_both_names(corpus: Path, tmp_path: Path, engine) -> None:
    update(corpus, tmp_path / "index", CountingEmbedder(), model_name="hash-64")
    published(tmp_path / "index", engine)
    with pytest.raises(IndexIncompatibleError, match="'hash-64'.*'other-model'"):
        load(engine, model="other-model")
