"""The server's logs: JSON lines, and question texts only on request with CPR-like numbers masked."""

from __future__ import annotations

import json
import logging

import pytest

from service.edge import JsonLines, log, log_question, mask_cpr


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Hvad gælder for 010203-1234?", "Hvad gælder for XXXXXX-XXXX?"),
        ("cpr 0102031234 og 010203 1234", "cpr XXXXXX-XXXX og XXXXXX-XXXX"),
        ("Målet er 4,5 % i 2026 og 129.441 kr.", "Målet er 4,5 % i 2026 og 129.441 kr."),
        ("telefon 12345678", "telefon 12345678"),
        ("nummer 12345678901", "nummer 12345678901"),
    ],
)
def test_cpr_like_numbers_are_masked_and_other_figures_kept(text, masked):
    assert mask_cpr(text) == masked


@pytest.mark.parametrize(("enabled", "logged"), [(False, []), (True, ["Gælder det XXXXXX-XXXX?"])])
def test_a_question_is_logged_only_when_asked_for(enabled, logged, caplog):
    with caplog.at_level(logging.INFO, logger=log.name):
        log.propagate = True
        try:
            log_question(enabled, "r1", "Gælder det 010203-1234?")
        finally:
            log.propagate = False
    assert [r.fields["question"] for r in caplog.records if r.getMessage() == "question"] == logged


def test_a_log_record_is_one_json_object_with_its_fields():
    record = logging.LogRecord("aftaler", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"route": "/ask", "status": 200}
    line = json.loads(JsonLines().format(record))
    assert (line["message"], line["route"], line["status"], line["level"]) == ("request", "/ask", 200, "info")
