"""Prompt templates: the shipped set loads, renders, and a broken template is refused at load time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.errors import PromptError
from service.generate import answer_messages, format_passages
from service.prompts import EXPECTED_VARIABLES, LANGUAGES, PromptSet

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"

PASSAGES = [
    {
        "text": "Sygefraværet skal være højst 4,5 %.",
        "document_title": "Driftsaftale 2023",
        "section": "Mål",
        "page": 3,
    },
    {"text": "Der er 24 pladser.", "document_id": "doc-2", "section": "", "page": None},
]


@pytest.fixture(scope="module")
def prompts() -> PromptSet:
    return PromptSet.load(PROMPTS)


def test_shipped_prompts_load_for_every_language(prompts: PromptSet) -> None:
    assert set(prompts.templates) == {(name, lang) for name in EXPECTED_VARIABLES for lang in LANGUAGES}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_answer_prompt_numbers_passages_with_document_section_and_page(prompts: PromptSet, lang: str) -> None:
    block = format_passages(prompts, lang, PASSAGES)
    assert block.startswith("[1] ")
    first, second = block.split("\n\n[2] ")
    assert "Driftsaftale 2023" in first and "Mål" in first and "3" in first
    assert "Sygefraværet skal være højst 4,5 %." in first
    assert "doc-2" in second and "Der er 24 pladser." in second


def test_answer_messages_hold_rules_history_passages_and_question(prompts: PromptSet) -> None:
    history = [
        {"role": "user", "content": "Hvad med Bakkegården?"},
        {"role": "assistant", "content": "Se [1]."},
    ]
    messages = answer_messages(prompts, "Hvad er målet for sygefravær?", "da", PASSAGES, history)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert "Hvad er målet for sygefravær?" in messages[-1]["content"]
    assert "[2] " in messages[-1]["content"]


def test_a_value_containing_braces_is_inserted_literally(prompts: PromptSet) -> None:
    text = prompts.render("rewrite", "da", history="user: {question}", question="Og {x}?")
    assert "user: {question}" in text and "Og {x}?" in text


@pytest.mark.parametrize(
    ("name", "lang", "values", "message"),
    [
        ("answer", "da", {"question": "q"}, "takes {passages}, {question}, got {question}"),
        ("answer", "da", {"question": "q", "passages": "p", "extra": "x"}, "got {extra}"),
        ("system", "de", {}, "no prompts for language 'de'"),
        ("summary", "da", {}, "unknown template 'summary'"),
    ],
)
def test_render_with_wrong_values_is_an_error(
    prompts: PromptSet, name: str, lang: str, values: dict[str, str], message: str
) -> None:
    with pytest.raises(PromptError, match=message.replace("{", r"\{").replace("}", r"\}")):
        prompts.render(name, lang, **values)


@pytest.fixture
def prompt_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    shutil.copytree(PROMPTS, folder)
    return folder


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        (
            "da/answer.md",
            "Uddrag: {passages}\nSpørgsmål: {question}\nEnhed: {unit}",
            "unknown variable {unit}",
        ),
        ("en/answer.md", "Excerpts: {passages}", "missing variable {question}"),
        ("da/system.md", "Svar om {question}.", "unknown variable {question}"),
        ("en/rewrite.md", "{history} {question} {}", "must be a plain name"),
        ("en/rewrite.md", "{history} {question} {0}", "must be a plain name"),
        ("da/passage.md", "[{n}] {document} {section} {page:>3} {text}", "{page} has format options"),
        ("da/passage.md", "[{n}] {document} {section} {page!r} {text}", "{page} has format options"),
        ("en/compare.md", "{passages} {question} {unclosed", "malformed template"),
        ("da/compare.md", "   \n", "template is empty"),
        ("da/summary.md", "Resumé: {text}", "unknown template"),
    ],
)
def test_a_broken_template_is_refused_at_load_naming_file_and_variable(
    prompt_copy: Path, file: str, content: str, message: str
) -> None:
    (prompt_copy / file).write_text(content, encoding="utf-8")
    with pytest.raises(PromptError) as caught:
        PromptSet.load(prompt_copy)
    assert message in str(caught.value)
    assert file.split("/")[-1] in str(caught.value)


@pytest.mark.parametrize("missing", ["da/answer.md", "en/system.md"])
def test_a_missing_template_is_refused_at_load(prompt_copy: Path, missing: str) -> None:
    (prompt_copy / missing).unlink()
    with pytest.raises(PromptError, match="template is missing"):
        PromptSet.load(prompt_copy)


def test_a_missing_language_folder_is_refused_at_load(prompt_copy: Path) -> None:
    shutil.rmtree(prompt_copy / "en")
    with pytest.raises(PromptError, match="language 'en' is missing"):
        PromptSet.load(prompt_copy)


def test_literal_braces_are_allowed_when_doubled(prompt_copy: Path) -> None:
    (prompt_copy / "da" / "system.md").write_text('Svar som JSON: {{"svar": ...}}', encoding="utf-8")
    assert PromptSet.load(prompt_copy).render("system", "da") == 'Svar som JSON: {"svar": ...}'
