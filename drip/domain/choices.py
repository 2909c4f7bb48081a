"""Which choice of a poll or quiz a learner's answer picks: a number, a letter, or the choice's text.

Forgiving as people type on phones: case, punctuation and spacing do not matter, so "2", "2)",
"#2", "option 2", "B", "b.", "(b)" and "Delegation!" all count. Anything else is not a choice.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

_NUMBER_WORDS = {
    word: value for value, word in enumerate("one two three four five six seven eight nine ten".split(), start=1)
}
_LEAD = r"(?:(?:option|choice|number|answer|no\.?|nr\.?)\s*)?"
_NUMBER = re.compile(_LEAD + r"(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")")
_LETTER = re.compile(_LEAD + r"([a-z])")
_NUMBER_AND_TEXT = re.compile(r"(\d{1,3}|[a-z])\s*[.):-]?\s+(.+)")
_EDGE_NOISE = re.compile(r"^[\W_]+|[\W_]+$")
_PREFIX_MIN_LETTERS = 3


def plain(text: str) -> str:
    """Text as compared with choices: folded case, single spaces, no punctuation around it."""
    text = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return _EDGE_NOISE.sub("", text)


def _position(token: str) -> int:
    """The 1-based position a number, number word or letter names."""
    if token.isdigit():
        return int(token)
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    return string.ascii_lowercase.index(token) + 1


def _as_position(answer: str, count: int) -> int | None:
    """The 0-based index a bare number or letter names, when it is in range."""
    for pattern in (_NUMBER, _LETTER):
        match = pattern.fullmatch(answer)
        if match is not None:
            position = _position(match.group(1))
            return position - 1 if 1 <= position <= count else None
    return None


def parse_choice(body: str, choices: Sequence[str]) -> int | None:
    """The 0-based choice an answer picks (number, letter, number word, choice text or prefix), else None."""
    answer = plain(body)
    if not answer or not choices:
        return None
    options = [plain(choice) for choice in choices]
    # Numbers and letters are positions, as the reply hint tells learners ("reply 1, 2 or 3").
    position = _as_position(answer, len(options))
    if position is not None:
        return position
    # Then a choice's own text, also when it looks like a number ("2025" among "2024", "2025").
    if answer in options:
        return options.index(answer)
    # A copied option line ("2. Delegation", "b) Design") counts only when its number and text agree.
    pair = _NUMBER_AND_TEXT.fullmatch(answer)
    if pair is not None:
        index = _position(pair.group(1)) - 1
        return index if 0 <= index < len(options) and plain(pair.group(2)) == options[index] else None
    if _NUMBER.fullmatch(answer) is None and sum(ch.isalpha() for ch in answer) >= _PREFIX_MIN_LETTERS:
        starting = [index for index, option in enumerate(options) if option.startswith(answer)]
        if len(starting) == 1:
            return starting[0]
    return None


_TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_QUESTION = re.compile(r"[^.!?\n]*\?")
_CHOICE_LINE = re.compile(r"^\s*(?:\d{1,3}|[A-Za-z])[.):]?\s+\S")
_TITLE_MAX = 120


def poll_question(body: str) -> str:
    """The question a poll's body asks, for the board and the projector: its last "?" sentence before the choices."""
    text = _TEMPLATE_TAG.sub("", body or "")
    lines = text.splitlines()
    before = []
    for line in lines:
        if _CHOICE_LINE.match(line) and before:
            break
        before.append(line)
    questions = [match.group(0).strip(" ,;:") for match in _QUESTION.finditer("\n".join(before))]
    questions = [question for question in questions if len(question) > 3]
    title = questions[-1] if questions else " ".join(" ".join(before).split())
    return title if len(title) <= _TITLE_MAX else title[: _TITLE_MAX - 1].rstrip() + "…"
