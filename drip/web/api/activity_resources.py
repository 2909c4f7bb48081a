"""What the API answers about a session's activity: deliveries, live questions and replies, with whom and which step."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from flask import current_app
from pydantic import BaseModel, Field

from drip.models import Delivery, Learner, LiveQuestion, Reply


class LearnerRef(BaseModel):
    """Who a delivery, question or reply concerns."""

    id: int
    external_id: str | None
    name: str
    phone: str | None
    email: str | None
    language: str | None = Field(None, description="The BCP 47 tag given; null: the sequence's language.")

    @classmethod
    def of(cls, learner: Learner | None) -> LearnerRef | None:
        """The reference, or None for an unknown sender."""
        if learner is None:
            return None
        return cls(
            id=learner.id,
            external_id=learner.external_id,
            name=learner.name,
            phone=learner.phone,
            email=learner.email,
            language=learner.language,
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
    votes: int = 0  # learners who seconded it on the cohort page
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
            votes=question.votes or 0,
            created_at=question.created_at,
        )


class PictureOut(BaseModel):
    """A picture the learner sent with the reply: `url` once Drip keeps it, else `status` and `reason`."""

    status: str  # stored | pending | refused | failed
    url: str | None
    reason: str | None = None


class ReplyOut(BaseModel):
    """A practice report, discussion reply, poll vote or unclassified reply, with the learner's pictures."""

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
    media: list[PictureOut] = []

    @classmethod
    def of(cls, reply: Reply, pictures: list | None = None) -> ReplyOut:
        """The response for one reply; `pictures` from media.shown.pictures_for (absolute URLs made here)."""
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        media = [PictureOut(status=p.status, url=p.url and base + p.url, reason=p.reason) for p in pictures or []]
        return cls(
            media=media,
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
