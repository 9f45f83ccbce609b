"""Prompt templates kept as files (prompts/<lang>/<name>.md) and checked once, at startup.

Templates use str.format fields: `{question}`; a literal brace is written `{{`. Loading fails, naming the file
and the variable, when a template is missing, has an unknown variable, lacks an expected one, or uses format
syntax beyond a plain name, so a broken edit stops the service at start instead of breaking one request later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Formatter

from service.errors import PromptError

LANGUAGES: tuple[str, ...] = ("da", "en")

# The contract between the templates and the code that renders them.
EXPECTED_VARIABLES: Mapping[str, frozenset[str]] = {
    "system": frozenset(),
    "answer": frozenset({"passages", "question"}),
    "answer_json": frozenset({"passages", "question"}),
    "compare": frozenset({"passages", "question"}),
    "rewrite": frozenset({"history", "question"}),
    "passage": frozenset({"n", "document", "section", "page", "text"}),
}


def template_variables(template: str, source: str) -> frozenset[str]:
    """The field names of a template; PromptError for positional, attribute, conversion or spec syntax."""
    try:
        parsed = [(field, spec, conversion) for _, field, spec, conversion in Formatter().parse(template)]
    except ValueError as error:
        raise PromptError(f"{source}: malformed template ({error}); write literal braces as {{{{ and }}}}") from error
    fields = [field for field, _, _ in parsed if field is not None]
    for field, spec, conversion in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise PromptError(f"{source}: variable {{{field}}} must be a plain name such as {{question}}")
        if spec or conversion:
            raise PromptError(f"{source}: variable {{{field}}} has format options; only plain names are allowed")
    return frozenset(fields)


@dataclass(frozen=True)
class PromptSet:
    templates: Mapping[tuple[str, str], str]  # (name, lang) -> template text
    folder: Path

    @classmethod
    def load(cls, folder: Path) -> PromptSet:
        """Read and validate every expected template; PromptError names the first problem found."""
        templates: dict[tuple[str, str], str] = {}
        for lang in LANGUAGES:
            lang_dir = folder / lang
            if not lang_dir.is_dir():
                raise PromptError(f"{lang_dir}: prompt folder for language {lang!r} is missing")
            unknown = sorted(p.name for p in lang_dir.glob("*.md") if p.stem not in EXPECTED_VARIABLES)
            if unknown:
                raise PromptError(f"{lang_dir / unknown[0]}: unknown template; expected {_names()}")
            for name, expected in EXPECTED_VARIABLES.items():
                path = lang_dir / f"{name}.md"
                if not path.is_file():
                    raise PromptError(f"{path}: template is missing")
                text = path.read_text(encoding="utf-8").strip()
                _check_variables(text, path, expected)
                templates[(name, lang)] = text
        return cls(templates=templates, folder=folder)

    def render(self, name: str, lang: str, **values: object) -> str:
        """Fill template `name` in `lang`. The values must be exactly the template's variables: a mismatch
        is a programming error, reported as PromptError rather than a silently half-filled prompt."""
        if lang not in LANGUAGES:
            raise PromptError(f"no prompts for language {lang!r}; have {', '.join(LANGUAGES)}")
        if name not in EXPECTED_VARIABLES:
            raise PromptError(f"unknown template {name!r}; expected {_names()}")
        expected = EXPECTED_VARIABLES[name]
        if set(values) != expected:
            takes, got = _fields(expected) or "no variables", _fields(values) or "none"
            raise PromptError(f"{name} ({lang}) takes {takes}, got {got}")
        return self.templates[(name, lang)].format(**{key: str(value) for key, value in values.items()})


def _check_variables(text: str, path: Path, expected: frozenset[str]) -> None:
    if not text:
        raise PromptError(f"{path}: template is empty")
    found = template_variables(text, str(path))
    unknown, missing = sorted(found - expected), sorted(expected - found)
    if unknown:
        allowed = _fields(expected) or "none"
        raise PromptError(f"{path}: unknown variable {{{unknown[0]}}}; allowed: {allowed}")
    if missing:
        raise PromptError(f"{path}: missing variable {{{missing[0]}}}")


def _names() -> str:
    return ", ".join(f"{name}.md" for name in EXPECTED_VARIABLES)


def _fields(names: Iterable[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in sorted(names))
