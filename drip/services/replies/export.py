"""The replies of a session as CSV, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select

from drip.extensions import db
from drip.models import Learner, LiveQuestion, TrainingSession
from drip.services.replies.answers import by_step

HEADER = [
    "received_at_utc",
    "learner",
    "phone",
    "email",
    "step",
    "step_kind",
    "kind",
    "channel",
    "choice",
    "body",
    "reviewed_at_utc",
]
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def rows(training_session: TrainingSession) -> Iterator[list[str]]:
    """One row per learner reply, grouped by step as on the page."""
    for position, group in enumerate(by_step(training_session), start=1):
        step = group.step
        for reply in group.replies:
            learner = reply.learner
            choice = ""
            if step is not None and reply.choice_index is not None and step.choices:
                choice = (
                    f"{reply.choice_index + 1}. {step.choices[reply.choice_index]}"
                    if reply.choice_index < len(step.choices)
                    else ""
                )
            yield [
                _cell(value)
                for value in (
                    reply.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    learner.name if learner else "unknown sender",
                    learner.phone if learner else "",
                    learner.email if learner else "",
                    position if step is not None else "",
                    step.kind if step is not None else "",
                    reply.kind,
                    reply.channel,
                    choice,
                    reply.body,
                    reply.reviewed_at.strftime("%Y-%m-%d %H:%M:%S") if reply.reviewed_at else "",
                )
            ]


QUESTION_HEADER = ["received_at_utc", "learner", "phone", "question", "answered", "starred", "hidden", "approved"]


def question_rows(training_session: TrainingSession) -> Iterator[list[str]]:
    """One row per live question, in the order they came in."""
    query = (
        select(LiveQuestion, Learner)
        .outerjoin(Learner, Learner.id == LiveQuestion.learner_id)
        .where(LiveQuestion.session_id == training_session.id)
        .order_by(LiveQuestion.created_at, LiveQuestion.id)
    )
    for question, learner in db.session.execute(query):
        yield [
            _cell(value)
            for value in (
                question.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                learner.name if learner else "unknown sender",
                learner.phone if learner else "",
                question.body,
                *(
                    "yes" if flag else "no"
                    for flag in (question.answered, question.starred, question.hidden, question.approved)
                ),
            )
        ]


def _csv(header: list[str], lines) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(lines)
    return out.getvalue()


def to_csv(training_session: TrainingSession) -> str:
    """The whole export as text (UTF-8 with a BOM added by the view, so Excel reads accents)."""
    return _csv(HEADER, rows(training_session))


def questions_csv(training_session: TrainingSession) -> str:
    """The session's live questions as CSV text, formula-safe like the replies."""
    return _csv(QUESTION_HEADER, question_rows(training_session))
