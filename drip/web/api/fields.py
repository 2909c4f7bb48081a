"""The API's field types: bounded texts, ids, moments with an offset, time zones, offsets, local times."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field

from drip.domain import catalog
from drip.domain.durations import parse_offset
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


Moderation = Annotated[
    Literal[catalog.names(catalog.MODERATIONS)],
    Field(
        description="approve: live questions reach the projector once the trainer approves them (the default); "
        "open: at once."
    ),
]


def as_time(value: str | None) -> time | None:
    """Turn "HH:MM" into a time of day."""
    return None if value is None else time.fromisoformat(value)
