"""Languages: which ones Drip writes in, checking a learner's tag, and which language a learner reads.

A learner's `language` is a BCP 47 tag ("es", "es-MX", "pt-BR", "it"). Drip writes its own words
in the languages of SUPPORTED; a tag whose primary subtag is one of them reads in it ("es-MX" reads
Spanish), any other well-formed tag of a known language is kept as given and reads in the
sequence's language (so a trainer may record "it" today and get Italian the day it is supported).
"""

from __future__ import annotations

import functools
import re

from babel import Locale

SUPPORTED: tuple[str, ...] = ("en", "es", "fr", "de", "pt")
DEFAULT = "en"
MAX_TAG = 35  # RFC 5646 recommends room for at least 35 characters
# language[-script][-region][-variant...]: the shapes people write; extensions are not needed here.
_TAG = re.compile(r"([A-Za-z]{2,3})((?:[-_][A-Za-z0-9]{1,8})*)")


@functools.cache
def _known_languages() -> frozenset[str]:
    # CLDR's language names: a real ISO 639 code, not just any two letters ("xx", "zz").
    return frozenset(code for code in Locale("en").languages if "_" not in code)


def name(code: str) -> str:
    """A supported language's name in that language, for the admin's tabs and lists ("Español")."""
    return Locale.parse(code).get_display_name(code).capitalize()


def choices() -> list[tuple[str, str]]:
    """(code, name) of each language Drip writes in, for the admin's pickers."""
    return [(code, name(code)) for code in SUPPORTED]


def check_tag(raw: str) -> str:
    """A learner's language tag in canonical case ("es-MX"); ValueError naming the problem."""
    text = raw.strip()
    match = _TAG.fullmatch(text)
    if len(text) > MAX_TAG or match is None:
        raise ValueError(f"“{raw}” is not a language tag; use a code such as {', '.join(SUPPORTED)} or es-MX")
    primary = match.group(1).lower()
    if primary not in _known_languages():
        raise ValueError(f"“{match.group(1)}” is not a known language code (use {', '.join(SUPPORTED)}, …)")
    parts = [primary]
    for subtag in re.split(r"[-_]", match.group(2))[1:]:
        # BCP 47 case conventions: Script in title case, REGION in upper case, the rest lower.
        if len(subtag) == 4 and subtag.isalpha():
            parts.append(subtag.title())
        elif len(subtag) == 2 and subtag.isalpha() or len(subtag) == 3 and subtag.isdigit():
            parts.append(subtag.upper())
        else:
            parts.append(subtag.lower())
    return "-".join(parts)


def primary(tag: str | None) -> str:
    """The primary language subtag of a tag, lower case ("pt" of "pt-BR"); "" for none."""
    return (tag or "").replace("_", "-").split("-")[0].lower()


def check_sequence_language(raw: str | None) -> str:
    """A sequence's language: one Drip writes in (default en); ValueError otherwise."""
    code = primary(raw) if raw else DEFAULT
    if code not in SUPPORTED:
        raise ValueError(f"must be one of {', '.join(SUPPORTED)}")
    return code


def reading(learner_language: str | None, sequence_language: str | None = None) -> str:
    """The supported language a learner reads: theirs when Drip writes it, else the sequence's, else en."""
    for tag in (learner_language, sequence_language):
        if primary(tag) in SUPPORTED:
            return primary(tag)
    return DEFAULT
