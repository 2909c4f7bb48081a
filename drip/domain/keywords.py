"""SMS compliance keywords (STOP, START, HELP and their synonyms).

A keyword counts only when it is the whole message: trimmed, any case, trailing punctuation
allowed ("Stop." and "STOP!!" count). A sentence never counts, even one that contains a keyword
("stop sending me this", "please stop", "help me understand feedback"): carriers and Twilio match
whole messages the same way, and a question texted during a live session must not be mistaken
for an opt-out.

Learners write in their language: the opt-out and HELP words of each language Drip writes in
(DESIGN.md, "Languages") count for everyone, alongside the English ones, so a learner whose
language is not recorded (or a stranger) who texts PARAR is opted out all the same.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

KeywordKind = Literal["opt_out", "opt_in", "help"]

# Per language, the whole-message words of each kind (compared case-folded, accents kept: ARRÊT and
# ARRET are both listed, as phones without the accent send the second).
BY_LANGUAGE: dict[str, dict[KeywordKind, tuple[str, ...]]] = {
    "en": {
        "opt_out": ("stop", "stopall", "unsubscribe", "cancel", "end", "quit"),
        "opt_in": ("start", "yes", "unstop"),
        "help": ("help", "info"),
    },
    "es": {"opt_out": ("parar", "baja"), "help": ("ayuda",)},
    "fr": {"opt_out": ("arret", "arrêt"), "help": ("aide",)},
    "de": {"opt_out": ("stopp", "abmelden"), "help": ("hilfe",)},
    "pt": {"opt_out": ("parar", "sair"), "help": ("ajuda",)},
}
KEYWORDS: dict[str, KeywordKind] = {
    word: kind for words in BY_LANGUAGE.values() for kind, listed in words.items() for word in listed
}

_TRAILING_PUNCTUATION = ".!?,;:"


def normalize_keyword(body: str) -> str:
    """The form a whole-message keyword is compared in: compatibility-folded, trimmed, lower case."""
    # NFKC folds full-width letters ("ＳＴＯＰ") that some phone keyboards produce.
    text = unicodedata.normalize("NFKC", body).strip()
    return text.rstrip(_TRAILING_PUNCTUATION).strip().casefold()


def classify_keyword(body: str) -> KeywordKind | None:
    """Which compliance keyword a whole SMS is (in any language Drip writes), or None when it is not exactly one."""
    return KEYWORDS.get(normalize_keyword(body))


def keyword_language(body: str) -> str | None:
    """The language a whole-message keyword is written in ("es" for AYUDA), English first; None if not one."""
    word = normalize_keyword(body)
    return next((code for code, kinds in BY_LANGUAGE.items() if any(word in listed for listed in kinds.values())), None)
