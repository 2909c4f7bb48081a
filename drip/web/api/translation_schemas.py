"""What the API accepts for languages: a step's `translations` and the language fields' documentation."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from drip.domain.languages import MAX_TAG, SUPPORTED


def _storable(value: str) -> str:
    # As schemas.text: PostgreSQL refuses NUL characters in text.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_storable)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class FollowUpTranslationIn(_Body):
    """The follow-up in this language (its timing and channel are the step's)."""

    body: _text(1600, 1)
    subject: _text(300) | None = None


class TranslationIn(_Body):
    """A step in one language; what is left out is the step's own text."""

    body: _text(10_000, 1)
    subject: _text(300) | None = None
    choices: Annotated[list[_text(200, 1)], Field(max_length=20)] | None = None
    explain: _text(500) | None = None
    follow_up: FollowUpTranslationIn | None = None


Translations = Annotated[
    dict[str, TranslationIn],
    Field(
        max_length=len(SUPPORTED),
        description=f"The step in other languages, keyed by language ({', '.join(SUPPORTED)}); "
        "a learner reads their language's text, or the step's own.",
        examples=[{"es": {"body": "Hola {{ first_name }}, ¿qué esperas de la sesión?"}}],
    ),
]
LearnerLanguage = Annotated[
    _text(MAX_TAG) | None,
    Field(
        description=f"A BCP 47 tag. Drip writes in {', '.join(SUPPORTED)} (es-MX reads Spanish); any other "
        "known language is kept and reads the sequence's language.",
        examples=["es"],
    ),
]
SequenceLanguage = Annotated[
    str,
    Field(
        pattern="^(" + "|".join(SUPPORTED) + ")$",
        description="The language the steps are written in, and that learners without a supported one read.",
    ),
]


def dump(translations: dict[str, TranslationIn] | None) -> dict[str, Any] | None:
    """Plain dicts for the sequences service, without the fields left out."""
    if translations is None:
        return None
    return {code: item.model_dump(exclude_none=True) for code, item in translations.items()}
