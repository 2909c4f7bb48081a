"""SMS compliance keywords (STOP, START, HELP and their synonyms).

A keyword counts only when it is the whole message: trimmed, any case, trailing punctuation
allowed ("Stop." and "STOP!!" count). A sentence never counts, even one that contains a keyword
("stop sending me this", "please stop", "help me understand feedback"): carriers and Twilio match
whole messages the same way, and a question texted during a live session must not be mistaken
for an opt-out.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

KeywordKind = Literal["opt_out", "opt_in", "help"]

KEYWORDS: dict[str, KeywordKind] = {
    **dict.fromkeys(("stop", "stopall", "unsubscribe", "cancel", "end", "quit"), "opt_out"),
    **dict.fromkeys(("start", "yes", "unstop"), "opt_in"),
    **dict.fromkeys(("help", "info"), "help"),
}

_TRAILING_PUNCTUATION = ".!?,;:"


def normalize_keyword(body: str) -> str:
    """The form a whole-message keyword is compared in: compatibility-folded, trimmed, lower case."""
    # NFKC folds full-width letters ("ＳＴＯＰ") that some phone keyboards produce.
    text = unicodedata.normalize("NFKC", body).strip()
    return text.rstrip(_TRAILING_PUNCTUATION).strip().casefold()


def classify_keyword(body: str) -> KeywordKind | None:
    """Which compliance keyword a whole SMS is, or None when it is not exactly one."""
    return KEYWORDS.get(normalize_keyword(body))
