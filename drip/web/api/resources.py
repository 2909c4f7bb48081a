"""What the API answers: pydantic response models, each built from its database row."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from drip.domain import catalog
from drip.domain.durations import describe_timing
from drip.models import Sequence, Step, TrainingSession
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
    label: str | None = None
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
    translations: dict[str, dict] | None = None  # {"es": {"body", "subject"?, "choices"?, …}}
    image_id: int | None = None  # the media library picture sent with the step
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
    language: str = "en"
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
            language=sequence.language,
            steps=[StepOut.of(step) for step in sequence.steps],
            created_at=sequence.created_at,
        )


class CohortPageOut(BaseModel):
    """The session's cohort page settings."""

    publish: Literal["approved", "all"]
    days_after: int
    slides_early: bool = False  # slides shown before the session starts


class SessionOut(BaseModel):
    """A training session; its times are given in its own time zone."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    join_url: str
    moderation: Literal[catalog.names(catalog.MODERATIONS)]
    status: Literal["scheduled", "cancelled"]
    phase: Literal["upcoming", "live", "past", "cancelled"]
    sequence_ids: list[int]
    enrolled: int
    cohort_page: CohortPageOut
    slide_ids: list[int] = []  # media library items on the cohort page, in order
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
            moderation=ts.moderation,
            status=ts.status,
            phase=phase,
            sequence_ids=sorted(sequence.id for sequence in ts.sequences),
            enrolled=enrolled,
            cohort_page=CohortPageOut(
                publish=ts.cohort_publish, days_after=ts.cohort_days_after, slides_early=ts.slides_early
            ),
            slide_ids=[item.id for item in ts.slides],
            created_at=ts.created_at,
        )
