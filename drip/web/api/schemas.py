"""What the API accepts: pydantic models the views validate with and the OpenAPI document shows."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from drip.domain import catalog
from drip.domain.schedule import SendWindow
from drip.web.api.fields import (  # noqa: F401 (as_time, MAX_ID: the views and openapi know them here)
    DELIVERY_STATUSES,
    MAX_ID,
    MAX_ROWS,
    REPLY_KINDS,
    STEP_KINDS,
    Id,
    JoinUrl,
    LocalTime,
    Moderation,
    Moment,
    Offset,
    TimeZone,
    as_time,
    text,
)
from drip.web.api.translation_schemas import LearnerLanguage, SequenceLanguage, Translations


class Body(BaseModel):
    """A JSON request body: exact types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SendWindowIn(Body):
    """Local hours in which steps may go out; a step due outside waits for the next opening."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _opens_before_closing(self) -> SendWindowIn:
        self.as_window()
        return self

    def as_window(self) -> SendWindow:
        """The domain's send window."""
        return SendWindow(as_time(self.start), as_time(self.end))


class FollowUpIn(Body):
    """A message `after` the step to the learners who have not answered it by then."""

    after: Annotated[Offset, Field(examples=["P2D"])]
    body: text(1600, 1)
    channel: Literal["sms", "email"] | None = None
    subject: text(300) | None = None


class StepIn(Body):
    """One message of a sequence; body and subject are Jinja templates."""

    kind: Literal[STEP_KINDS]
    channel: Literal["sms", "email"]
    anchor: Literal["start", "end"]
    offset: Offset
    label: Annotated[
        text(80) | None, Field(description='The trainer\'s short name for the step ("Interest poll").')
    ] = None
    local_time: LocalTime | None = None
    subject: text(300) | None = None
    body: text(10_000, 1)
    choices: Annotated[list[text(200, 1)], Field(max_length=20)] | None = None
    if_late: Literal["skip", "send"] = "skip"
    answer: Annotated[int, Field(ge=0, le=19, description="Quiz: the 0-based index of the right choice.")] | None = None
    explain: Annotated[text(500) | None, Field(description="Quiz: sent back with the verdict.")] = None
    retry_after: Annotated[Offset | None, Field(description="Quiz: re-ask after this long (default P2D).")] = None
    follow_up: FollowUpIn | None = None
    source: Annotated[int, Field(ge=0, le=49)] | Literal["questions"] | None = Field(
        default=None, description='Digests: the index of a discussion or practice step in `steps`, or "questions".'
    )
    translations: Translations | None = None
    image_id: Annotated[
        Id | None,
        Field(
            description="A picture from the media library (POST /media): an MMS to US and Canadian numbers, "
            "its link in other texts, inline in email."
        ),
    ] = None


class SequenceIn(Body):
    """A new sequence; send_window null means steps go out at any hour."""

    name: text(200, 1)
    digest_by: Annotated[
        Literal["first_name", "colleague"],
        Field(description='How digests attribute answers: the first name, or "a colleague".'),
    ] = "colleague"
    language: SequenceLanguage = "en"
    send_window: SendWindowIn | None = Field(default_factory=lambda: SendWindowIn(start="08:00", end="21:00"))
    steps: Annotated[list[StepIn], Field(min_length=1, max_length=50)]


class CohortPageIn(Body):
    """The cohort page of a session: whose answers peers see, and how long its links work."""

    publish: Annotated[
        Literal["approved", "all"] | None,
        Field(
            description='"approved" (the default): peers see answers once the trainer approves them; "all": at once.'
        ),
    ] = None
    days_after: Annotated[
        int | None, Field(ge=0, le=3650, description="Links stop working this many days after the session ends (90).")
    ] = None
    slides_early: Annotated[
        bool | None, Field(description="Show the session's slides before it starts (by default: from its start).")
    ] = None


class SessionIn(Body):
    """A new training session; times are ISO 8601 with an offset."""

    title: text(300, 1)
    starts_at: Moment
    ends_at: Moment
    timezone: TimeZone
    sequence_ids: Annotated[list[Id], Field(max_length=20)] = []
    join_url: JoinUrl = ""
    cohort_page: CohortPageIn | None = None
    moderation: Moderation = catalog.DEFAULT_MODERATION
    slide_ids: Annotated[
        list[Id],
        Field(max_length=30, description="Images and PDFs of the media library shown on the cohort page, in order."),
    ] = []


class SessionPatch(Body):
    """Changes to a session; a field left out (or null) stays as it is."""

    title: text(300, 1) | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    timezone: TimeZone | None = None
    sequence_ids: Annotated[list[Id], Field(max_length=20)] | None = None
    join_url: JoinUrl | None = None
    cohort_page: CohortPageIn | None = None
    moderation: Moderation | None = None
    slide_ids: Annotated[
        list[Id] | None,
        Field(max_length=30, description="Images and PDFs of the media library shown on the cohort page, in order."),
    ] = None


class LearnerIn(Body):
    """A learner to enrol: the same external_id (else phone, else email) is the same learner."""

    external_id: text(200, 1) | None = None
    name: text(200, 1)
    phone: text(40) | None = None
    email: text(254) | None = None
    timezone: text(64) | None = None  # checked with the row's other fields, so a 422 lists them together
    language: LearnerLanguage = None  # checked there too


class EnrollmentsIn(Body):
    """Learners to enrol in a session: all rows are stored, or none."""

    learners: Annotated[list[LearnerIn], Field(min_length=1, max_length=MAX_ROWS)]


class PageQuery(BaseModel):
    """Pagination: up to `limit` items, then follow `next` (or pass `next_cursor` as `cursor`)."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=200, description="How many items per page.")] = 50
    cursor: Annotated[
        Annotated[str, Field(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] | None,
        Field(description="The next_cursor of the previous page (one we did not hand out answers 404)."),
    ] = None


class DeliveriesQuery(PageQuery):
    """Deliveries of a session, optionally only one status or one step."""

    status: Annotated[Literal[DELIVERY_STATUSES] | None, Field(description="Only deliveries in this status.")] = None
    step_id: Annotated[Id | None, Field(description="Only deliveries of this step.")] = None


class RepliesQuery(PageQuery):
    """Replies of a session, optionally only one kind."""

    kind: Annotated[Literal[REPLY_KINDS] | None, Field(description="Only replies of this kind.")] = None


class FieldProblem(BaseModel):
    """One invalid field: where it is (e.g. steps[2].offset) and what is wrong."""

    field: str
    message: str


class RowProblem(BaseModel):
    """One invalid learner row of an enrolment: its 0-based index and each bad field."""

    index: int
    errors: dict[str, str]


class ErrorOut(BaseModel):
    """Every error: a short title and details (a sentence, or the list of bad fields or rows)."""

    error: str
    details: str | list[FieldProblem] | list[RowProblem] | None = None
