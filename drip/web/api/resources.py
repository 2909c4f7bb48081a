"""What the API answers: pydantic response models, each built from its database row."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from drip.domain.durations import describe_timing
from drip.models import Delivery, Learner, LiveQuestion, Reply, Sequence, Step, TrainingSession
from drip.services.programs.step_fields import fields_of


def _hhmm(value) -> str | None:
    return None if value is None else value.strftime("%H:%M")


class SendWindowOut(BaseModel):
    """Local hours in which steps may go out."""

    start: str
    end: str


class FollowUpOut(BaseModel):
    """The message sent `after` a step to the learners who have not answered it."""

    after: str
    body: str
    channel: str
    subject: str | None


def _source(step: Step) -> int | str | None:
    """A digest's source as a request would give it: "questions", or the source step's position."""
    if step.digest_source == "questions":
        return "questions"
    return step.source_step.position if step.source_step is not None else None


class StepOut(BaseModel):
    """A step as stored, with its timing in words."""

    id: int
    position: int
    kind: str
    channel: str
    anchor: str
    offset: str
    local_time: str | None
    subject: str | None
    body: str
    choices: list[str] | None
    if_late: str
    answer: int | None
    explain: str | None
    retry_after: str | None
    follow_up: FollowUpOut | None
    source: int | str | None = None  # digests: the position of the source step, or "questions"
    timing: str

    @classmethod
    def of(cls, step: Step) -> StepOut:
        """The response for one step."""
        return cls(
            id=step.id,
            position=step.position,
            **fields_of(
                step,
                local_time=_hhmm(step.local_time),
                follow_up=FollowUpOut(**step.follow_up) if step.follow_up else None,
            ),
            source=_source(step),
            timing=describe_timing(step.anchor, step.offset, step.local_time),
        )


class SequenceOut(BaseModel):
    """A sequence and its steps in order."""

    id: int
    name: str
    send_window: SendWindowOut | None
    digest_by: str = "colleague"
    steps: list[StepOut]
    created_at: datetime

    @classmethod
    def of(cls, sequence: Sequence) -> SequenceOut:
        """The response for one sequence."""
        window = None
        if sequence.send_window_start is not None and sequence.send_window_end is not None:
            window = SendWindowOut(start=_hhmm(sequence.send_window_start), end=_hhmm(sequence.send_window_end))
        return cls(
            id=sequence.id,
            name=sequence.name,
            send_window=window,
            digest_by=sequence.digest_by,
            steps=[StepOut.of(step) for step in sequence.steps],
            created_at=sequence.created_at,
        )


class SessionOut(BaseModel):
    """A training session; its times are given in its own time zone."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    join_url: str
    status: Literal["scheduled", "cancelled"]
    phase: Literal["upcoming", "live", "past", "cancelled"]
    sequence_ids: list[int]
    enrolled: int
    created_at: datetime

    @classmethod
    def of(cls, ts: TrainingSession, *, phase: str, enrolled: int) -> SessionOut:
        """The response for one session."""
        zone = ZoneInfo(ts.timezone)
        return cls(
            id=ts.id,
            title=ts.title,
            starts_at=ts.starts_at.astimezone(zone),
            ends_at=ts.ends_at.astimezone(zone),
            timezone=ts.timezone,
            join_url=ts.join_url,
            status=ts.status,
            phase=phase,
            sequence_ids=sorted(sequence.id for sequence in ts.sequences),
            enrolled=enrolled,
            created_at=ts.created_at,
        )


class LearnerRef(BaseModel):
    """Who a delivery, question or reply concerns."""

    id: int
    external_id: str | None
    name: str
    phone: str | None
    email: str | None

    @classmethod
    def of(cls, learner: Learner | None) -> LearnerRef | None:
        """The reference, or None for an unknown sender."""
        if learner is None:
            return None
        return cls(
            id=learner.id, external_id=learner.external_id, name=learner.name, phone=learner.phone, email=learner.email
        )


class StepRef(BaseModel):
    """Which step a delivery sends."""

    id: int
    sequence_id: int
    position: int
    kind: str


class DeliveryError(BaseModel):
    """Why a delivery failed, as the provider said."""

    code: str | None
    message: str | None


class DeliveryOut(BaseModel):
    """One step to one learner: when it is due and where it is in its life cycle. `purpose` says
    whether it is the step itself, a quiz's re-ask (`attempt` 1 or 2) or the follow-up for silence."""

    id: int
    learner: LearnerRef
    step: StepRef
    purpose: Literal["step", "reask", "follow_up"]
    attempt: int
    channel: str
    due_at: datetime
    status: str
    sent_at: datetime | None
    delivered_at: datetime | None
    provider_message_id: str | None
    error: DeliveryError | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        """The response for one delivery."""
        step = delivery.step
        error = None
        if delivery.error_code or delivery.error_message:
            error = DeliveryError(code=delivery.error_code, message=delivery.error_message)
        return cls(
            id=delivery.id,
            learner=LearnerRef.of(delivery.learner),
            step=StepRef(id=step.id, sequence_id=step.sequence_id, position=step.position, kind=step.kind),
            purpose=delivery.purpose,
            attempt=delivery.attempt,
            channel=delivery.channel,
            due_at=delivery.due_at,
            status=delivery.status,
            sent_at=delivery.sent_at,
            delivered_at=delivery.delivered_at,
            provider_message_id=delivery.provider_message_id,
            error=error,
        )


class QuestionOut(BaseModel):
    """A live question texted during the session."""

    id: int
    learner: LearnerRef | None
    body: str
    answered: bool
    starred: bool
    hidden: bool
    approved: bool
    created_at: datetime

    @classmethod
    def of(cls, question: LiveQuestion) -> QuestionOut:
        """The response for one question."""
        return cls(
            id=question.id,
            learner=LearnerRef.of(question.learner),
            body=question.body,
            answered=question.answered,
            starred=question.starred,
            hidden=question.hidden,
            approved=question.approved,
            created_at=question.created_at,
        )


class ReplyOut(BaseModel):
    """A practice report, discussion reply, poll vote or unclassified reply."""

    id: int
    kind: str
    channel: str
    body: str
    learner: LearnerRef | None
    step_id: int | None
    choice_index: int | None
    created_at: datetime
    reviewed_at: datetime | None
    shared: bool = False  # approved by the trainer for a digest

    @classmethod
    def of(cls, reply: Reply) -> ReplyOut:
        """The response for one reply."""
        return cls(
            id=reply.id,
            kind=reply.kind,
            channel=reply.channel,
            body=reply.body,
            learner=LearnerRef.of(reply.learner),
            step_id=reply.step_id,
            choice_index=reply.choice_index,
            created_at=reply.created_at,
            reviewed_at=reply.reviewed_at,
            shared=reply.shared,
        )
