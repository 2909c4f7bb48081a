"""What the API accepts: pydantic models the views validate with and the OpenAPI document shows."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from drip.domain import catalog
from drip.domain.durations import parse_offset
from drip.domain.schedule import SendWindow
from drip.models.types import MAX_ID

MAX_ROWS = 1000  # learners per enrolment request: larger imports go in several calls
STEP_KINDS = catalog.authorable_step_kinds()
REPLY_KINDS = catalog.learner_reply_kinds()
DELIVERY_STATUSES = catalog.names(catalog.STATUSES)


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL characters in text; better a 422 naming the field than a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def text(max_length: int, min_length: int = 0) -> Any:
    """A string of bounded length that every database can store."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_storable)]


# Documented in the OpenAPI document; the sessions service applies the same rule (is_web_address).
JoinUrl = Annotated[
    str,
    Field(
        max_length=500,
        pattern=r"^(https?://[A-Za-z0-9.-]+([:/?#][!-~]*)?)?$",
        description="An http:// or https:// address (printable ASCII), or empty.",
    ),
    AfterValidator(_storable),
]


def _offset(value: str) -> str:
    return str(parse_offset(value))  # canonical text, e.g. "-p7d" → "-P7D"


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Paris or America/New_York")
    return value


def _sensible_year(value: datetime) -> datetime:
    # Offsets reach 10 years either side; years near 1 or 9999 would overflow date arithmetic.
    if not 2000 <= value.year <= 2100:
        raise ValueError("must be between the years 2000 and 2100")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_sensible_year),
    Field(examples=["2026-05-12T09:30:00-04:00"], json_schema_extra={"pattern": r"^(20\d\d|2100)-"}),
]


def _zone_enum(schema: dict) -> None:
    # The IANA names this server knows, listed in the OpenAPI document (the check is the same set).
    schema["enum"] = sorted(_zones())


TimeZone = Annotated[
    text(64), AfterValidator(_zone), Field(examples=["America/New_York"], json_schema_extra=_zone_enum)
]
LocalTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:00"])]
# The offsets parse_offset accepts, in the OpenAPI document too: weeks, days and a time part, no
# years or months, digit counts that keep every match within the 10-year bound.
_TIME_PART = r"[Tt](\d{1,4}[Hh](\d{1,5}[Mm])?(\d{1,6}[Ss])?|\d{1,5}[Mm](\d{1,6}[Ss])?|\d{1,6}[Ss])"
OFFSET_PATTERN = (
    rf"^[+-]?[Pp](\d{{1,2}}[Ww](\d{{1,3}}[Dd])?({_TIME_PART})?|\d{{1,3}}[Dd]({_TIME_PART})?"
    rf"|{_TIME_PART})$"
)
Offset = Annotated[
    str,
    Field(min_length=1, max_length=40, pattern=OFFSET_PATTERN, examples=["-P7D", "-PT15M", "PT0S", "P1D"]),
    AfterValidator(_offset),
]


def as_time(value: str | None) -> time | None:
    """Turn "HH:MM" into a time of day."""
    return None if value is None else time.fromisoformat(value)


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


class SequenceIn(Body):
    """A new sequence; send_window null means steps go out at any hour."""

    name: text(200, 1)
    digest_by: Annotated[
        Literal["first_name", "colleague"],
        Field(description='How digests attribute answers: the first name, or "a colleague".'),
    ] = "colleague"
    send_window: SendWindowIn | None = Field(default_factory=lambda: SendWindowIn(start="08:00", end="21:00"))
    steps: Annotated[list[StepIn], Field(min_length=1, max_length=50)]


class SessionIn(Body):
    """A new training session; times are ISO 8601 with an offset."""

    title: text(300, 1)
    starts_at: Moment
    ends_at: Moment
    timezone: TimeZone
    sequence_ids: Annotated[list[Id], Field(max_length=20)] = []
    join_url: JoinUrl = ""


class SessionPatch(Body):
    """Changes to a session; a field left out (or null) stays as it is."""

    title: text(300, 1) | None = None
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    timezone: TimeZone | None = None
    sequence_ids: Annotated[list[Id], Field(max_length=20)] | None = None
    join_url: JoinUrl | None = None


class LearnerIn(Body):
    """A learner to enrol: the same external_id (else phone, else email) is the same learner."""

    external_id: text(200, 1) | None = None
    name: text(200, 1)
    phone: text(40) | None = None
    email: text(254) | None = None
    timezone: text(64) | None = None  # checked with the row's other fields, so a 422 lists them together


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
