"""The session's Learning tab: quiz results per question and per learner, as charts."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template

from drip.domain.quiz import letter
from drip.models import utcnow
from drip.services.learning.results import QuizStepResult, quiz_results
from drip.services.programs.sessions import session_phase
from drip.web.sessions import own_session

bp = Blueprint("learning", __name__, url_prefix="/sessions")


@dataclass(frozen=True)
class Bar:
    """One coloured part of a stacked bar: what it counts, how many, and its share in percent."""

    key: str
    label: str
    count: int
    percent: float


def quiz_bars(item: QuizStepResult) -> list[Bar]:
    """A quiz question's learners split: right first time, right after a re-ask, not (yet) right, no answer."""
    tally = item.tally
    wrong = tally.answered - tally.correct_first_try - tally.correct_after_reask
    parts = [
        ("first", "Right first time", tally.correct_first_try),
        ("reask", "Right after a re-ask", tally.correct_after_reask),
        ("wrong", "Not right yet", wrong),
        ("none", "No answer", max(item.asked - tally.answered, 0)),
    ]
    total = sum(count for _, _, count in parts) or 1
    return [Bar(key, label, count, round(100 * count / total, 1)) for key, label, count in parts]


def wrong_bars(item: QuizStepResult) -> list[Bar]:
    """Each wrong choice and how often it was picked (the most chosen first)."""
    choices = item.step.choices or []
    counts = item.tally.wrong_counts
    top = max(counts.values(), default=0) or 1
    ordered = sorted(counts, key=lambda index: (-counts[index], index))
    return [
        Bar(letter(i), f"{letter(i)}) {choices[i]}", counts[i], round(100 * counts[i] / top, 1))
        for i in ordered
        if i < len(choices)
    ]


@bp.get("/<int:session_id>/learning")
def show(session_id: int):
    """Per quiz question: % right at the first try and after re-asks, the most chosen wrong answer; per learner."""
    ts = own_session(session_id)
    results = quiz_results(ts)
    return render_template(
        "sessions/learning.html",
        ts=ts,
        phase=session_phase(ts, utcnow()),
        results=results,
        quiz_bars=quiz_bars,
        wrong_bars=wrong_bars,
        letter=letter,
    )
