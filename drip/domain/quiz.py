"""Quiz steps: how learners answer (A, B, C…), the verdict they get back, and when a quiz is asked again.

Pure: no database, no Flask. Spaced retrieval: a learner who answered wrong, or not at all, is
asked again `retry_after` after the question, then twice as long after that; at most two re-asks.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from drip.domain.durations import Offset, parse_offset
from drip.domain.choices import parse_choice
from drip.domain.words import say

LETTERS = "ABCDEFGHI"
DEFAULT_RETRY_AFTER = "P2D"
MAX_REASKS = 2
MAX_EXPLAIN = 500


def letter(index: int) -> str:
    """The letter learners reply with for a 0-based choice index."""
    return LETTERS[index]


def parse_quiz_answer(body: str, choices: Sequence[str]) -> int | None:
    """The 0-based choice a quiz reply picks: its letter, its number or its text; else None."""
    return parse_choice(body, choices)


def reply_hint(choices: Sequence[str] | None, language: str = "en") -> str:
    """What a quiz tells learners to reply, in their language: each choice with its letter, then "Reply A, B or C."."""
    if not choices:
        return ""
    letters = [letter(i) for i in range(len(choices))]
    listed = "\n".join(f"{letter(i)}) {choice}" for i, choice in enumerate(choices))
    ask = say(language, "Reply %(letters)s or %(last)s.", letters=", ".join(letters[:-1]), last=letters[-1])
    return f"{listed}\n{ask}"


def answer_links_html(choices: Sequence[str], reply_address: str, subject: str, language: str = "en") -> str:
    """One mailto link per choice for a quiz email: a tap writes the reply (its letter) to the quiz's own address."""
    links = []
    for index, choice in enumerate(choices):
        query = urlencode({"subject": f"Re: {subject}", "body": letter(index)}, quote_via=quote)
        href = html.escape(f"mailto:{reply_address}?{query}", quote=True)
        links.append(f'<a href="{href}">{letter(index)}) {html.escape(choice)}</a>')
    return "\n<p>" + html.escape(say(language, "Tap your answer:")) + " " + " · ".join(links) + "</p>"


def verdict(correct: bool, explain: str | None, language: str = "en") -> str:
    """The message sent back at once, in the learner's language: "Right! …" or "Not quite: …" with the explanation."""
    explain = (explain or "").strip()
    if correct:
        return say(language, "Right! %(explain)s", explain=explain) if explain else say(language, "Right!")
    return say(language, "Not quite: %(explain)s", explain=explain) if explain else say(language, "Not quite.")


def reask_offsets(retry_after: str | None) -> list[tuple[int, Offset]]:
    """(re-ask number, delay after the first ask) for each re-ask: retry_after, then 3 × (2 × more)."""
    base = parse_offset(retry_after or DEFAULT_RETRY_AFTER)
    return [(1, base), (2, Offset(False, base.days * 3, base.seconds * 3))]


def check(choices: Sequence[str], answer, explain, retry_after) -> tuple[dict, dict[str, str]]:
    """A quiz's normalised answer/explain/retry_after, and a reason per field that is wrong."""
    errors: dict[str, str] = {}
    values: dict = {"answer": None, "explain": None, "retry_after": None}
    if isinstance(answer, bool) or not isinstance(answer, int):
        errors["answer"] = "say which choice is right (its 0-based index)"
    elif not 0 <= answer < len(choices):
        errors["answer"] = f"must be one of the choices (0 to {max(len(choices) - 1, 0)})"
    else:
        values["answer"] = answer
    text = (explain or "").strip() if isinstance(explain, str) or explain is None else None
    if text is None:
        errors["explain"] = "must be text"
    elif len(text) > MAX_EXPLAIN:
        errors["explain"] = f"keep it under {MAX_EXPLAIN} characters: it goes back by SMS"
    else:
        values["explain"] = text or None
    try:
        offset = parse_offset(retry_after or DEFAULT_RETRY_AFTER)
        if offset.negative or not (offset.days or offset.seconds):
            raise ValueError("must be a positive duration, like P2D or PT30S")
        values["retry_after"] = str(offset)
    except ValueError as error:
        errors["retry_after"] = str(error)
    return values, errors


@dataclass(frozen=True)
class Answer:
    """One learner's answer to one ask of a quiz: which ask (0 the first, 1-2 re-asks) and the choice."""

    learner_id: int
    attempt: int
    choice_index: int | None


@dataclass(frozen=True)
class QuizTally:
    """A quiz step's results: who answered, who was right first time, who only after a re-ask."""

    answered: int
    correct_first_try: int
    correct_after_reask: int
    wrong_counts: dict[int, int]
    learners: dict[int, str]  # learner id → "first_try" | "after_reask" | "wrong"

    @property
    def most_chosen_wrong(self) -> int | None:
        """The wrong choice picked most often (by first answers to each ask), if any."""
        if not self.wrong_counts:
            return None
        return max(self.wrong_counts, key=lambda index: (self.wrong_counts[index], -index))


def tally(answers: Sequence[Answer], right: int | None) -> QuizTally:
    """Per learner, the first answer to each ask counts; right on ask 0 is first try, later is after a re-ask."""
    first: dict[tuple[int, int], int | None] = {}
    for item in answers:
        first.setdefault((item.learner_id, item.attempt), item.choice_index)
    outcome: dict[int, str] = {}
    wrong: Counter[int] = Counter()
    for (learner_id, attempt), choice in sorted(first.items(), key=lambda pair: pair[0][1]):
        if choice is not None and choice != right:
            wrong[choice] += 1
        if outcome.get(learner_id) in ("first_try", "after_reask"):
            continue
        if choice == right:
            outcome[learner_id] = "first_try" if attempt == 0 else "after_reask"
        else:
            outcome[learner_id] = "wrong"
    values = list(outcome.values())
    return QuizTally(
        answered=len(outcome),
        correct_first_try=values.count("first_try"),
        correct_after_reask=values.count("after_reask"),
        wrong_counts=dict(wrong),
        learners=outcome,
    )
