"""Consent to be quoted: the question in the learner's language, and reading a clear yes or no.

A consent answer is the whole message being yes (or no) in the learner's language or in English:
"yes", "Sí", "yes please", "OK!" count; "OK, but please do NOT share my words" does not, and is
routed as any other text. To add a language, add its words below and its sentences to the catalogs.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from drip.domain.languages import DEFAULT, primary
from drip.domain.words import mark, say

Answer = Literal["yes", "no"]

# Whole-message answers per language, compared case-folded (accents kept; the unaccented form that
# phones without the accent send is listed beside it). The first word of each is the one the ask names.
YES: dict[str, tuple[str, ...]] = {
    "en": ("yes", "y", "ok", "okay", "sure", "yep", "yeah", "yes please", "ok sure", "of course"),
    "es": ("sí", "si", "vale", "claro", "sí por favor", "si por favor", "de acuerdo"),
    "fr": ("oui", "oui merci", "d'accord", "ok"),
    "de": ("ja", "ja bitte", "ja gerne", "gerne", "ok"),
    "pt": ("sim", "sim por favor", "claro", "ok"),
}
NO: dict[str, tuple[str, ...]] = {
    "en": ("no", "n", "nope", "no thanks", "no thank you"),
    "es": ("no", "no gracias"),
    "fr": ("non", "non merci"),
    "de": ("nein", "nein danke"),
    "pt": ("não", "nao", "não obrigado", "não obrigada", "nao obrigado", "nao obrigada"),
}
# The three sentences, written once in English and translated in Drip's catalogs (domain/words.py);
# %(yes)s and %(no)s are the words the learner is asked to reply with.
ASK = mark("May I share your words with the next group, first name only? Reply %(yes)s to agree or %(no)s to decline.")
THANKS = mark("Thank you! Your words will encourage the next group.")
DECLINED = mark("Understood: your words stay with your trainer.")
_EDGES = re.compile(r"^[\s\W_]+|[\s\W_]+$")  # punctuation, emoji and spaces around the words


def _language(tag: str | None) -> str:
    code = primary(tag)
    return code if code in YES else DEFAULT


def _normalised(body: str) -> str:
    text = unicodedata.normalize("NFKC", body).casefold()
    text = _EDGES.sub("", text.strip())
    return " ".join(re.sub(r"[,.!]+", " ", text).split())


def answer(body: str, language: str | None) -> Answer | None:
    """ "yes" or "no" when the whole message is one in the learner's language (or English); else None."""
    text = _normalised(body[:60])
    if not text:
        return None
    for code in dict.fromkeys((_language(language), DEFAULT)):
        if text in YES[code]:
            return "yes"
        if text in NO[code]:
            return "no"
    return None


def ask(language: str | None) -> str:
    """The consent question, naming the words to reply with, in the learner's language."""
    code = _language(language)
    return say(code, ASK, yes=YES[code][0].upper(), no=NO[code][0].upper())


def thanks(language: str | None) -> str:
    """The answer to a yes."""
    return say(_language(language), THANKS)


def declined(language: str | None) -> str:
    """The answer to a no."""
    return say(_language(language), DECLINED)
