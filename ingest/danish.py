"""Danish text notions, each defined once and used by every layer: tokens and stems, stopwords, compounds split
against the corpus vocabulary, names and acronyms, years, numbered references ("§ 108"),
abbreviations.

Why one module: the index, the answerer, the guard and compare must agree on what a word, a stem, a name and a
year are. When each kept its own version they disagreed (compound cutoffs 4/5/4/7, three year ranges), and a
question could pass one layer's check and fail the next one's for the same word.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

# Function words that carry no topic. English ones are included because staff also ask in English and those words
# would otherwise match stray English in the corpus and fake lexical overlap.
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

# Recorded in the index manifest; bump when `tokenize` changes, so an update rebuilds the stored BM25 index from the
# stored chunks (nothing is re-embedded). 4: text is NFC-normalised first.
TOKENIZER_VERSION = "4"

# A number with internal separators ("4,5", "13.4", "129.441", "01.01.2022") or a run of letters.
TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_STEMMER = Stemmer.Stemmer("danish")
# "budget- ramme", "Arbejds- vederlag": a word broken at a line end in the source PDF. "døgn- og ugeplaner" is a
# suspended compound, not a broken word.
_BROKEN_WORD = re.compile(r"[^\W\d_]+- (?!(?:og|eller|samt|til|som|and|or)\b)[a-zæøå][^\W\d_]*")
# A word as written (letters, digits, '&' and '-' inside names like "Job&Uddannelse", "SHC-besparelser").
_WORD = re.compile(r"[\wæøå&-]+")


def nfc(text: str) -> str:
    """Composed Unicode: "å" typed as "a" + combining ring becomes one character, as in the stored text."""
    return unicodedata.normalize("NFC", text)


def tokenize(text: str) -> list[str]:
    """Index/query terms of `text`, in order. Numbers are not stemmed; a number with separators also yields
    its parts and, when written with a decimal comma, the same number with a point so "4,5" and "4.5" meet.
    A word broken by a hyphen at a line end also yields the whole word, after its parts: "budget- ramme" meets
    "budgetramme", and "PLO- overenskomstperioden" still meets "PLO-overenskomstperiode"."""
    text = nfc(text)
    tokens: list[str] = []
    words: list[str] = []
    rejoined = " ".join(match.group().replace("- ", "") for match in _BROKEN_WORD.finditer(text))
    for match in TOKEN.finditer(f"{text} {rejoined}".casefold() if rejoined else text.casefold()):
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


def stem(word: str) -> str:
    return _STEMMER.stemWord(nfc(word).casefold())


def words(text: str) -> set[str]:
    """The casefolded words of `text` as written (no stemming)."""
    return set(_WORD.findall(nfc(text).casefold()))


# -- compounds --------------------------------------------------------------------------------------------------

# Parts shorter than this are not split off: "is", "år" inside longer words are accidents, not parts.
MIN_PART = 4
# The linking letters between the parts of a Danish compound: sygefravær+s+mål, børne+have (e as part of the word).
_LINKS = ("s", "e", "")


class Vocabulary:
    """The stems a corpus uses, for splitting a compound into words the corpus knows and for telling known words
    from unknown ones. "trivselsmålet" -> trivsel + mål, "pladsantallet" -> plads + antal."""

    def __init__(self, surface: Iterable[str]) -> None:
        """`surface`: the casefolded words the corpus uses as written (see `words`)."""
        self.surface: set[str] = set(surface)
        self.stems: frozenset[str] = frozenset(s for word in self.surface for s in tokenize(word))
        self._prefixes: frozenset[str] = frozenset(self.surface) | self.stems

    def knows(self, word: str) -> bool:
        """A word (as written) the corpus uses itself, inflected or as the parts of a compound."""
        folded = nfc(word).casefold()
        if folded in self.surface:
            return True
        stems = tokenize(folded)
        return bool(stems) and all(s in self.stems or bool(self.parts(s)) for s in stems)

    def parts(self, term: str) -> tuple[str, ...]:
        """The stems of a compound's parts when `term` (a stem or a word) is not itself a corpus stem and splits
        into two known parts (the second part may itself split); () otherwise."""
        return _split(term, self._prefixes, self.stems, 0)

    def expand(self, terms: Iterable[str]) -> list[str]:
        """Each term, followed by its compound parts where it is a compound the corpus does not use whole."""
        out: list[str] = []
        for term in terms:
            out.append(term)
            if term not in self.stems and not term[:1].isdigit():
                out.extend(p for p in self.parts(term) if p not in out)
        return out


@lru_cache(maxsize=65536)
def _split(term: str, prefixes: frozenset[str], stems: frozenset[str], depth: int) -> tuple[str, ...]:
    if depth > 2 or len(term) < 2 * MIN_PART:
        return ()
    # The longest known first part wins: "sygefraværsmål" -> sygefravær + mål, not syge + fraværsmål.
    for cut in range(len(term) - MIN_PART, MIN_PART - 1, -1):
        head, rest = term[:cut], term[cut:]
        if head not in prefixes:
            continue
        for link in _LINKS:
            if not rest.startswith(link):
                continue
            tail = rest[len(link) :]
            if len(tail) < MIN_PART - 1:
                continue
            tail_stem = stem(tail)
            head_stem = stem(head)
            if tail_stem in stems or tail in prefixes:
                return (head_stem, tail_stem)
            deeper = _split(tail, prefixes, stems, depth + 1)
            if deeper:
                return (head_stem, *deeper)
    return ()


def shares_stem(stems: Iterable[str], tokens: Iterable[str]) -> bool:
    """A stem occurs as a token or inside a compound token, head or modifier: "beskæftigelse" is what
    "beskæftigelsesindsats" is about as much as "beskyttet beskæftigelse"."""
    tokens = list(tokens)
    return any(s == t or (len(s) >= MIN_PART and s in t) for s in stems for t in tokens)


# -- abbreviations ----------------------------------------------------------------------------------------------

# Common Danish abbreviations written with a full stop (Retskrivningsordbogen's usual forms, with and without their
# inner stops): a full stop after one of them does not end a sentence ("gruppen vedr. Projekt om ...", "(v.
# projektleder ...)", "bl.a. Socialområdet"). The chunker and the statements both read this one list.
ABBREVIATIONS = frozenset(
    """
    afd afs alm ang bl.a ca d dvs e.l eks ekskl etc evt f f.eks f.o.m ff fhv fmd fx hhv h.h.v i.e ift iht
    i.h.t inkl jf jvf kap kl kr lign m.fl m.m m.v mht m.h.t mia mio mv nr o.a o.l osv p.gr p.t pct pga pkt pr
    resp s skt st stk t.o.m tlf v vedr vejl
    """.split()
)
_LAST_WORD = re.compile(r"([^\W\d_][\w.]*)\.$")


def ends_with_abbreviation(text: str) -> bool:
    """`text` ends with a full stop that closes an abbreviation ("bl.a.", "jf.", "vedr.", "(v."), not a sentence."""
    last = _LAST_WORD.search(text)
    return bool(last) and last.group(1).lower() in ABBREVIATIONS


# -- years ------------------------------------------------------------------------------------------------------

YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


def years(text: str) -> list[str]:
    return YEAR.findall(text)


# -- numbered references ----------------------------------------------------------------------------------------

# A number that names rather than measures: "§ 108", "mål 6", "lokalplan 411", "stk. 2", "bilag 3". Its marker is
# the sign or word before it; one marker may lead a list or a span ("§§ 107 og 108", "mål 3-5"). A decimal, a share
# or a year is a measure or a date, not a reference; a number written onto a word ("KOS2", "H1") is part of a name.
_REFERENCE = re.compile(
    r"(§+[ \t]*|(?<!\w)[^\W\d_]{2,}(?:\.[ \t]*|[ \t]+))"
    r"(\d{1,4}(?:[ \t]*(?:,|-|–|og|eller|til|and|or|to)[ \t]*\d{1,4}(?![.,]?\d))*)(?![.,]?\d|[ \t]*%)",
    re.IGNORECASE,
)
_SPAN = re.compile(r"(\d+)[ \t]*(?:-|–|til|to)[ \t]*(\d+)")
MAX_SPAN = 50


def references(text: str) -> frozenset[tuple[str, str]]:
    """(marker, number) pairs: the marker is "§" or the stem of the word before the number; years are left out,
    and so are function words ("i 12 måneder" measures)."""
    found: set[tuple[str, str]] = set()
    for match in _REFERENCE.finditer(nfc(text)):
        word = match.group(1).strip().rstrip(".").casefold()
        if word.startswith("§"):
            marker = "§"
        elif word in STOPWORDS:
            continue
        else:
            marker = stem(word)
        numbers = set(re.findall(r"\d+", match.group(2)))
        for low, high in _SPAN.findall(match.group(2)):
            if 0 < int(high) - int(low) <= MAX_SPAN:
                numbers |= {str(n) for n in range(int(low), int(high) + 1)}
        found |= {(marker, n.lstrip("0") or "0") for n in numbers if not YEAR.fullmatch(n)}
    return frozenset(found)


# -- names ------------------------------------------------------------------------------------------------------

# A capitalised word inside a text, or an acronym: candidate names of units, places, documents.
NAME = re.compile(r"(?<![\w])([A-ZÆØÅ][\wæøåÆØÅ&-]*[\wæøå]|[A-ZÆØÅ]{2,})")
# Capitalised words that are not names: question openers, generic nouns staff capitalise, institutions.
NOT_NAMES = frozenset(
    """hvad hvilke hvilken hvor hvordan hvornår hvorfor hvem er og i what which who when where why how is are
    does do the in for and compare sammenlign kommune kommunes region regionen kommunen aftale aftalen
    institutionsaftale udviklingsaftale driftsaftale virksomhedsplan danish english denmark danmark
    og or if can could please tell list give find show byråd byrådet byrådets kommunalbestyrelse kommunalbestyrelsen
    regionsråd regionsrådet municipality council city""".split()
)
# A name the document is about stands on its first page and recurs; a unit named once in a list does not.
LEAD_CHARS = 1500
MIN_MENTIONS = 4


_SUSPENDED = re.compile(r"-\s+(?:og|eller|samt|and|or)\s+")


def names_in(question: str) -> list[str]:
    """Capitalised words and acronyms inside a question: candidate names of units, places, documents. The first
    word is skipped unless it is an acronym (questions start with a capital); adjacent words form one name."""
    found: list[str] = []
    last_end = -1
    for match in NAME.finditer(nfc(question)):
        word = match.group(1)
        is_first = question[: match.start()].strip() == ""
        if word.casefold() in NOT_NAMES or (is_first and not word.isupper()) or len(word) < 3:
            continue
        between = question[last_end : match.start()]
        if found and (between == " " or _SUSPENDED.fullmatch(between)):
            # "Team Myndighed SHC" is one name; so is "Social- og Boligstyrelsen" (a compound whose shared last
            # part is left out of the first word).
            found[-1] = f"{found[-1]}{between}{word}"
        else:
            found.append(word)
        last_end = match.end()
    return found


def leading_names(text: str) -> set[str]:
    """Names (casefolded) a document is about though its metadata may miss them: on its first page and mentioned
    at least MIN_MENTIONS times ("Kærkommen" on the cover of a report titled "Tilsynsrapport for ...")."""
    counts = Counter(name.casefold() for name in NAME.findall(text))
    return {
        name.casefold()
        for name in NAME.findall(text[:LEAD_CHARS])
        if counts[name.casefold()] >= MIN_MENTIONS and name.casefold() not in NOT_NAMES
    }
