"""Response models for pages of items, cancellations, enrolments and poll results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from drip.web.api.resources import DeliveryOut, QuestionOut, ReplyOut, SequenceOut, SessionOut


class PageOut(BaseModel):
    """A page of items; `next` is the URL of the following page, null on the last one."""

    next_cursor: str | None
    next: str | None


class SequenceList(PageOut):
    """A page of sequences, oldest first."""

    items: list[SequenceOut]


class SessionList(PageOut):
    """A page of sessions, oldest first."""

    items: list[SessionOut]


class DeliveryList(PageOut):
    """A page of deliveries, by due time."""

    items: list[DeliveryOut]


class QuestionList(PageOut):
    """A page of live questions, oldest first."""

    items: list[QuestionOut]


class ReplyList(PageOut):
    """A page of replies, oldest first."""

    items: list[ReplyOut]


class CancelledOut(SessionOut):
    """A cancelled session and how many pending deliveries were skipped."""

    skipped_deliveries: int


class EnrolledRow(BaseModel):
    """What became of one learner row, at the same index as in the request."""

    index: int
    learner_id: int
    external_id: str | None
    name: str
    status: Literal["enrolled", "already_enrolled"]
    learner_created: bool


class EnrollmentsOut(BaseModel):
    """How many learners were newly enrolled, how many already were, and each row's outcome."""

    enrolled: int
    already_enrolled: int
    learners: list[EnrolledRow]


class ChoiceResult(BaseModel):
    """One option of a poll: `number` is what learners text (1-based), `index` is 0-based."""

    index: int
    number: int
    text: str
    votes: int


class PollResult(BaseModel):
    """The votes on one poll step: `votes` learners picked a choice (their latest pick counts)."""

    step_id: int
    sequence_id: int
    body: str
    choices: list[ChoiceResult]
    votes: int
    unmatched: int


class PollResultsOut(BaseModel):
    """Every poll step of the session with its votes."""

    session_id: int
    polls: list[PollResult]
