"""The category and the client of a reply-corpus case, told by its name (bench/reply_corpus.py)."""

from __future__ import annotations

import re
from collections import Counter

# Most specific first: the first token found in a case's name names its category.
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("sameline", "answer on the attribution's line"),
    ("prose", "learner's sentence like a signature"),
    ("own-greater-than", "learner's own '>' lines"),
    ("indented-own", "learner's own indented HTML"),
    ("forward", "forward without a note"),
    ("only-", "only a quote or a signature"),
    ("enter-feedback", "text kept unaltered"),
    ("dashed-heading", "text kept unaltered"),
    ("divider", "text kept unaltered"),
    ("wrapped-quote", "hard-wrapped quote"),
    ("three-line", "attribution over several lines"),
    ("two-line", "attribution over several lines"),
    ("wrapped", "attribution over several lines"),
    ("broken-link", "hard-wrapped quote"),
    ("attribution", "attribution formats"),
    ("original-message", "header blocks and separators"),
    ("signature-block", "signature block under a sign-off"),
    ("sign-off", "signature block under a sign-off"),
    ("signature", "mobile and app signatures"),
    ("mobile", "mobile and app signatures"),
    ("iphone", "mobile and app signatures"),
    ("inline", "inline answers"),
    ("bottom", "bottom-posted"),
    ("raw-mime", "raw MIME"),
    ("html", "HTML-only"),
)
CLIENTS = (
    "gmail",
    "outlook",
    "apple",
    "thunderbird",
    "yahoo",
    "proton",
    "zoho",
    "fastmail",
    "samsung",
    "hey",
    "spark",
)


def category_of(name: str) -> str:
    """The category of a case (what shape of reply it tests)."""
    return next((label for token, label in CATEGORIES if token in name), "top-posted reply")


def client_of(name: str) -> str:
    """The mail client a case imitates, or "other"."""
    parts = re.split(r"[-_]", name)
    return next((client for client in CLIENTS if client in parts), "other")


def words(text: str) -> Counter:
    """The words of a text, case folded, counted."""
    return Counter(re.findall(r"\w+", (text or "").casefold()))


def lost_words(expected: str, kept: str) -> Counter:
    """The learner's words (in the expected text) missing from what was kept."""
    return words(expected) - words(kept)
