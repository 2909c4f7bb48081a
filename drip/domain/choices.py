"""Which choice of a poll or quiz a learner's answer picks: a number, a letter, or the choice's text.

Forgiving as people type on phones: case, punctuation and spacing do not matter, so "2", "2)",
"#2", "option 2", "B", "b.", "(b)" and "Delegation!" all count. Anything else is not a choice.
A learner writes in their language: "opción 2", "réponse B", "Antwort 3", "opção dois" count too,
and so does the text of a choice as their translation of the step showed it.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Sequence

from drip.domain import numbers

# Number words of the languages Drip writes in (en, es, fr, de, pt), one to ten; "un"/"une"/"um"
# and "uno"/"una"/"uma" all say one.
_NUMBER_WORD_LISTS = (
    "one two three four five six seven eight nine ten",
    "uno dos tres cuatro cinco seis siete ocho nueve diez",
    "un deux trois quatre cinq six sept huit neuf dix",
    "eins zwei drei vier fünf sechs sieben acht neun zehn",
    "um dois três quatro cinco seis sete oito nove dez",
)
_NUMBER_WORDS = {word: value for words in _NUMBER_WORD_LISTS for value, word in enumerate(words.split(), start=1)} | {
    "una": 1,
    "une": 1,
    "uma": 1,
    "duas": 2,
    "ein": 1,
    "eine": 1,
}
# "option 2" in each language: option, opción, opção, réponse, Antwort, Wahl, número, Nummer…
_LEAD_WORDS = (
    "option|choice|number|answer|no\\.?|nr\\.?|"
    "opci[oó]n|respuesta|n[uú]mero|"
    "r[ée]ponse|choix|num[ée]ro|n[°º]|"
    "antwort|auswahl|wahl|nummer|"
    "op[cç][aã]o|resposta|escolha"
)
_LEAD = r"(?:(?:" + _LEAD_WORDS + r")\s*[:#]?\s*)?"
_NUMBER = re.compile(_LEAD + r"([0-9]{1,3}|" + "|".join(_NUMBER_WORDS) + r")")
_LETTER = re.compile(_LEAD + r"([a-z])")
_NUMBER_AND_TEXT = re.compile(r"([0-9]{1,3}|[a-z])\s*[.):-]?\s+(.+)")
# Anchored at the start only: an unanchored `[\W_]+$` retries every position of a long run of
# punctuation (quadratic); the end is stripped by the same pattern over the reversed text.
_LEADING_NOISE = re.compile(r"^[\W_]+")
_PREFIX_MIN_LETTERS = 3


def plain(text: str) -> str:
    """Text as compared with choices: folded case, single spaces, no punctuation around it."""
    text = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    text = _LEADING_NOISE.sub("", text)
    return _LEADING_NOISE.sub("", text[::-1])[::-1]


def _position(token: str) -> int:
    """The 1-based position a number, number word or letter names."""
    if (number := numbers.parse_int(token, high=10_000)) is not None:
        return number
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


def parse_choice(body: str, choices: Sequence[str], read_as: Sequence[str] = ()) -> int | None:
    """The 0-based choice an answer picks (number, letter, number word, choice text or prefix), else None.

    `read_as`: the same choices as the learner read them, translated; their texts count too.
    """
    index = _parse(body, choices)
    if index is None and read_as and len(read_as) == len(choices):
        index = _parse(body, read_as)
    return index


def _parse(body: str, choices: Sequence[str]) -> int | None:
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


# A tag goes with the comma and spaces before it: "Quick poll, {{ first_name }}: which…" reads "Quick poll: which…".
_TEMPLATE_TAG = re.compile(r"[ \t]*,?[ \t]*(?:\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.DOTALL)
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
    title = questions[-1] if questions else " ".join(" ".join(before).split()).strip(" ,;:")
    title = title[:1].upper() + title[1:]
    return title if len(title) <= _TITLE_MAX else title[: _TITLE_MAX - 1].rstrip() + "…"
