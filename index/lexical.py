"""BM25 over chunks with a Danish-aware tokenizer: lowercase, æøå kept, numbers kept whole and in parts,
stopwords dropped, Snowball "danish" stemming."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

# Function words that carry no topic. English ones are included because staff also ask in English and
# those words would otherwise match stray English in the corpus and fake lexical overlap.
DANISH_STOPWORDS = frozenset(
    """
    og i at det en den til er som på de med han af for ikke der var mig sig men et har om vi min havde
    ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv her alle vil blev kunne
    ind når være dog noget ville jo deres efter ned skulle denne end dette mit også under have dig anden
    hende mine alt meget sit sine vor mod disse hvis din nogle hos blive mange ad bliver hendes været
    thi jer sådan hvilke hvilken hvordan hvornår hvorfor hvem kan må får bør
    """.split()
)
ENGLISH_STOPWORDS = frozenset(
    """
    the a an and or of to in on for is are was were be been what which who how when where why does do
    did with by at from as that this these those it its there their our we you i can should will
    """.split()
)
STOPWORDS = DANISH_STOPWORDS | ENGLISH_STOPWORDS

# A number with internal separators ("4,5", "13.4", "129.441", "01.01.2022") or a run of letters.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_STEMMER = Stemmer.Stemmer("danish")

_DF_FILE = "document_frequency.json"
# Recorded in the index manifest; bump when `tokenize` changes, so an update rebuilds the stored BM25 index from the
# stored chunks (nothing is re-embedded).
TOKENIZER_VERSION = "3"
# "budget- ramme", "Arbejds- vederlag": a word broken at a line end in the source PDF. "døgn- og ugeplaner" is a
# suspended compound, not a broken word.
_BROKEN_WORD = re.compile(r"[^\W\d_]+- (?!(?:og|eller|samt|til|som|and|or)\b)[a-zæøå][^\W\d_]*")


def tokenize(text: str) -> list[str]:
    """Index/query terms of `text`, in order. Numbers are not stemmed; a number with separators also yields
    its parts and, when written with a decimal comma, the same number with a point so "4,5" and "4.5" meet.
    A word broken by a hyphen at a line end also yields the whole word, after its parts: "budget- ramme" meets
    "budgetramme", and "PLO- overenskomstperioden" still meets "PLO-overenskomstperiode"."""
    tokens: list[str] = []
    words: list[str] = []
    rejoined = " ".join(match.group().replace("- ", "") for match in _BROKEN_WORD.finditer(text))
    for match in _TOKEN.finditer(f"{text} {rejoined}".casefold() if rejoined else text.casefold()):
        token = match.group()
        if token[0].isdigit():
            tokens.append(token)
            if "," in token:
                tokens.append(token.replace(",", "."))
            parts = re.split(r"[.,]", token)
            if len(parts) > 1:
                tokens.extend(parts)
        elif token not in STOPWORDS:
            words.append(token)
            tokens.append(token)
    stems = iter(_STEMMER.stemWords(words))
    return [token if token[0].isdigit() else next(stems) for token in tokens]


class LexicalIndex:
    """BM25 scores for every chunk row; rows line up with the dense vectors."""

    def __init__(self, bm25: bm25s.BM25 | None, document_frequency: dict[str, int], size: int) -> None:
        self._bm25 = bm25
        self._df = document_frequency
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        corpus = [tokenize(text) for text in texts]
        df: dict[str, int] = {}
        for tokens in corpus:
            for token in set(tokens):
                df[token] = df.get(token, 0) + 1
        if not corpus:
            return cls(None, df, 0)
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        return cls(bm25, df, len(corpus))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        """BM25 score of every row (float32, zeros when no query term is in the corpus)."""
        known = [token for token in query_tokens if token in self._df]
        if self._bm25 is None or not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def idf(self, token: str) -> float:
        """Smoothed inverse document frequency; a term absent from the corpus counts as the rarest."""
        df = self._df.get(token, 1)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def coverage(self, query_tokens: list[str]) -> float:
        """Share of the query's distinct terms (idf-weighted) that occur in the corpus, in [0, 1].

        Unknown terms weigh as much as the rarest corpus term, so a query written in another language than
        the corpus scores low even if it happens to share a few common words or numbers."""
        distinct = set(query_tokens)
        if not distinct or self.size == 0:
            return 0.0
        total = sum(self.idf(token) for token in distinct)
        known = sum(self.idf(token) for token in distinct if token in self._df)
        return known / total if total > 0 else 0.0

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / _DF_FILE).write_text(
            json.dumps({"size": self.size, "df": self._df}, ensure_ascii=False), encoding="utf-8"
        )
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Raises OSError/ValueError/KeyError on missing or damaged files (the store maps them)."""
        data = json.loads((folder / _DF_FILE).read_text(encoding="utf-8"))
        size = int(data["size"])
        bm25 = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0) if size else None
        return cls(bm25, {str(k): int(v) for k, v in data["df"].items()}, size)
