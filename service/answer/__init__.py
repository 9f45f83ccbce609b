"""Extractive answering: a question gets the statement that answers it, quoted verbatim with its source, graded
as a direct answer, evidence, or nothing. See pipeline.py for the steps."""

from service.answer.grade import DIRECT, EVIDENCE, NOTHING, Answer, Quote, Wording
from service.answer.pipeline import Answerer
from service.answer.scorer import Scorer, calibration_name, load_scorer

__all__ = [
    "DIRECT",
    "EVIDENCE",
    "NOTHING",
    "Answer",
    "Answerer",
    "Quote",
    "Scorer",
    "Wording",
    "calibration_name",
    "load_scorer",
]
