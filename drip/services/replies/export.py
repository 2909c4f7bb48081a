"""The replies of a session as CSV, safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from drip.models import TrainingSession
from drip.services.replies.answers import by_step

HEADER = ["received_at_utc", "learner", "phone", "email", "step", "step_kind", "kind", "channel", "choice",
          "body", "reviewed_at_utc"]
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
                choice = f"{reply.choice_index + 1}. {step.choices[reply.choice_index]}" if reply.choice_index < len(step.choices) else ""
            yield [_cell(value) for value in (
                reply.created_at.strftime("%Y-%m-%d %H:%M:%S"), learner.name if learner else "unknown sender",
                learner.phone if learner else "", learner.email if learner else "",
                position if step is not None else "", step.kind if step is not None else "",
                reply.kind, reply.channel, choice, reply.body,
                reply.reviewed_at.strftime("%Y-%m-%d %H:%M:%S") if reply.reviewed_at else "",
            )]


def to_csv(training_session: TrainingSession) -> str:
    """The whole export as text (UTF-8 with a BOM added by the view, so Excel reads accents)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows(training_session))
    return out.getvalue()
