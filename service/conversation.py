"""Follow-up questions without an LLM: "Og for CJU?" after a Bakkegården question asks the same about CJU."""

from __future__ import annotations

import re

from ingest.danish import names_in

# Openers of an elliptic follow-up, Danish and English.
_FOLLOW_UP = re.compile(
    r"^\s*(og|and|hvad med|what about|how about|samme for|same for|også|also|men|but|i stedet|instead)\b",
    re.IGNORECASE,
)
MAX_FOLLOW_UP_WORDS = 7


def is_follow_up(question: str) -> bool:
    words = question.split()
    return len(words) <= MAX_FOLLOW_UP_WORDS and bool(_FOLLOW_UP.match(question))


def standalone_question(question: str, history: list[tuple[str, str]]) -> str:
    """The question made self-contained from the last user turn, or the question itself.

    Names in the follow-up replace the names of the earlier question ("Og for CJU?" -> the earlier question
    about CJU); a follow-up without names carries the earlier names along ("Hvad med trivsel?")."""
    previous = next((content for role, content in reversed(history) if role == "user"), None)
    if previous is None or not is_follow_up(question):
        return question
    new_names = names_in(question)
    old_names = names_in(previous)
    if new_names and old_names:
        rewritten = previous
        for old in old_names:
            rewritten = re.sub(rf"\b{re.escape(old)}\b", " og ".join(new_names), rewritten, count=1)
        # Every earlier name replaced by the same new one ("A og B" -> "CJU og CJU") collapses to one mention.
        joined = " og ".join(new_names)
        return rewritten.replace(f"{joined} og {joined}", joined)
    if new_names:
        return f"{previous} {' '.join(new_names)}"
    rest = _FOLLOW_UP.sub("", question).strip(" ?")
    return f"{rest} {' '.join(old_names)}".strip() + "?" if old_names else f"{previous} {rest}"
