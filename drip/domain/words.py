"""What Drip itself writes to a learner, in their language: gettext catalogs read through Babel.

Each sentence is written once, in English, as `say(language, "Right! %(explain)s", explain=...)`;
`pybabel extract` (make translations) collects them into drip/translations/messages.pot, translators
fill drip/translations/<language>/LC_MESSAGES/messages.po, and the compiled .mo files beside them
are what runs. English is the source language: it needs no catalog. Pure: files are read once,
on first use, and nothing here knows Flask.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.support import NullTranslations, Translations

from drip.domain.languages import DEFAULT, SUPPORTED

CATALOGS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"


@functools.cache
def catalog(language: str) -> NullTranslations:
    """The compiled catalog of a supported language (English: the source, no catalog)."""
    if language == DEFAULT or language not in SUPPORTED:
        return NullTranslations()
    return Translations.load(str(CATALOGS), [language], DOMAIN)


def say(language: str, message: str, **values: object) -> str:
    """One of Drip's sentences in `language`, its %(name)s placeholders filled."""
    text = catalog(language).gettext(message)
    return text % values if values else text


def say_n(language: str, singular: str, plural: str, count: int, **values: object) -> str:
    """A sentence that depends on a count ("1 learner", "3 learners"), in `language`."""
    text = catalog(language).ngettext(singular, plural, count)
    return text % {"count": count, **values}


def mark(message: str) -> str:
    """Mark a sentence for the catalog where it is defined, translated later with say() (a default text)."""
    return message


# The acknowledgements a session starts with (DESIGN.md, "The room"): sent in the learner's language.
# A trainer's own acknowledgement is their text, sent as they wrote it.
DEFAULT_ACKNOWLEDGEMENTS = (
    mark("Thanks, your question is on the board."),
    mark("Thanks, the trainer has your question."),
)


def acknowledgement(text: str, language: str) -> str:
    """A live question's acknowledgement for a learner: a default one in their language, a trainer's as written."""
    text = (text or "").strip()
    return say(language, text) if text in DEFAULT_ACKNOWLEDGEMENTS else text
