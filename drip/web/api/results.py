"""Response models for pages of items, cancellations, enrolments and poll results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from drip.web.api.activity_resources import DeliveryOut, QuestionOut, ReplyOut
from drip.web.api.resources import SequenceOut, SessionOut


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


class EnrolledLearnerOut(BaseModel):
    """The learner of an enrolment, as integrations know them."""

    id: int
    external_id: str | None
    name: str
    language: str | None = Field(None, description="The BCP 47 tag given; null: the session's sequence's language.")


class EnrollmentOut(BaseModel):
    """One enrolled learner: engagement state, personal cohort page link and how often they opened it."""

    learner: EnrolledLearnerOut
    state: Literal["active", "reader", "silent", "opted_out"]
    cohort_url: str | None
    cohort_views: int


class EnrollmentList(BaseModel):
    """Every learner enrolled in the session now."""

    items: list[EnrollmentOut]


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


class WordCount(BaseModel):
    """A word of an open poll's answers and how many learners wrote it."""

    word: str
    count: int


class OpenAnswer(BaseModel):
    """One answer to an open poll."""

    learner_id: int | None
    text: str


class PollResult(BaseModel):
    """The votes on one poll step: `votes` learners picked a choice (their latest pick counts). An open poll
    (no choices) has `open: true`, its `answers` (latest first) and `words` (each counted once per learner)."""

    step_id: int
    sequence_id: int
    body: str
    choices: list[ChoiceResult]
    votes: int
    unmatched: int
    open: bool = False
    answers: list[OpenAnswer] | None = None
    words: list[WordCount] | None = None


class PollResultsOut(BaseModel):
    """Every poll step of the session with its votes."""

    session_id: int
    polls: list[PollResult]
