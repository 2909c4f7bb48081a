"""Engagement, approving replies for digests (PATCH /replies/{id} in refile.py calls apply_shared), testimonials."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from drip.channels.base import SendError
from drip.services.ownership import owned_reply
from drip.services.pages import engagement
from drip.services.replies import sharing, testimonials
from drip.web.api.auth import current_trainer
from drip.web.api.errors import ApiError, not_found
from drip.web.api.operations import operation
from drip.web.api.sessions import owned_or_404


class StepEngagementOut(BaseModel):
    """One step's funnel, each a count of learners: sent → delivered → opened/clicked → replied."""

    step_id: int
    kind: str
    channel: str
    sent: int
    delivered: int
    opened: int
    clicked: int
    replied: int


class LearnerEngagementOut(BaseModel):
    """One learner: messages received, whether they read or replied, and their state."""

    learner_id: int
    name: str
    received: int
    read: bool
    replied: bool
    state: Literal["active", "reader", "silent", "opted_out"]


class EngagementOut(BaseModel):
    """Who reads and who answers: per step, per learner, and how many learners are in each state."""

    session_id: int
    states: dict[str, int]
    falling: bool
    steps: list[StepEngagementOut]
    learners: list[LearnerEngagementOut]


class TestimonialOut(BaseModel):
    """A quote asked for (`asked`), agreed to (`consented`, in the pool testimonial steps draw from) or refused (`declined`)."""

    id: int
    reply_id: int | None
    learner_id: int | None
    session_id: int | None
    quote: str
    by: str
    status: Literal["asked", "consented", "declined"]
    asked_at: datetime
    consented_at: datetime | None

    @classmethod
    def of(cls, row) -> TestimonialOut:
        """The response for one testimonial."""
        return cls(
            id=row.id,
            reply_id=row.reply_id,
            learner_id=row.learner_id,
            session_id=row.session_id,
            quote=row.quote,
            by=row.by,
            status=row.status,
            asked_at=row.asked_at,
            consented_at=row.consented_at,
        )


class TestimonialList(BaseModel):
    """The trainer's testimonials, consented first."""

    items: list[TestimonialOut]


@operation("GET", "/sessions/<int:session_id>/engagement", summary="Engagement", response=EngagementOut)
def engagement_api(session_id: int) -> EngagementOut:
    """Per step: learners sent, delivered, who opened, clicked and replied. Per learner: messages received,
    read (opened or clicked anything, scanners and previews excluded), replied, and a state: `active`
    (replied at least once), `reader` (read, never replied), `silent` (neither) or `opted_out`."""
    ts = owned_or_404(session_id)
    found = engagement.of_session(ts)
    return EngagementOut(
        session_id=ts.id,
        states=found.states,
        falling=found.falling,
        steps=[
            StepEngagementOut(
                step_id=f.step_id,
                kind=f.kind,
                channel=f.channel,
                sent=f.sent,
                delivered=f.delivered,
                opened=f.opened,
                clicked=f.clicked,
                replied=f.replied,
            )
            for f in found.steps
        ],
        learners=[
            LearnerEngagementOut(
                learner_id=row.learner.id,
                name=row.learner.name,
                received=row.facts.received,
                read=row.facts.read,
                replied=row.facts.replied,
                state=row.state,
            )
            for row in found.learners
        ],
    )


def _reply_or_404(reply_id: int):
    reply = owned_reply(current_trainer(), reply_id)
    if reply is None:
        raise not_found("reply")
    return reply


def apply_shared(reply, shared: bool) -> None:
    """Approve or withdraw a reply for digests; 422 for a kind a digest never quotes."""
    try:
        sharing.set_shared([reply], shared)
    except sharing.NotShareable as error:
        raise ApiError(422, str(error), error="Invalid request body") from None


@operation("GET", "/testimonials", summary="List testimonials", response=TestimonialList)
def list_testimonials_api() -> TestimonialList:
    """Every quote the trainer asked to use: `asked` until its author replies YES (then `consented`) or NO (`declined`).
    Testimonial steps quote only consented ones, from an earlier cohort, never to their author."""
    return TestimonialList(items=[TestimonialOut.of(row) for row in testimonials.pool(current_trainer())])


@operation(
    "POST",
    "/replies/<int:reply_id>/testimonial",
    summary="Ask to use a reply as a testimonial",
    response=TestimonialOut,
    status=201,
    errors=(404, 422),
)
def ask_testimonial_api(reply_id: int) -> TestimonialOut:
    """Ask the author of a practice report, by the channel they used, whether it may be quoted to the next
    group (first name only). The quote joins the pool only once they reply YES."""
    reply = _reply_or_404(reply_id)
    try:
        row = testimonials.ask(current_trainer(), reply)
    except testimonials.CannotAsk as error:
        raise ApiError(422, str(error), error="Cannot ask") from None
    except SendError as error:
        # The API answers 4xx only (DESIGN.md); nothing is stored, so the call can simply be repeated.
        raise ApiError(422, f"the question could not be sent: {error}", error="Not sent") from None
    return TestimonialOut.of(row)
