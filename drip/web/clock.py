"""One clock for the admin: a session's times in the session's zone, named; other times in the trainer's zone.

Every time the admin prints says its zone ("09:30 EST"): trainers, rooms and learners live in several.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_login import current_user

FULL = "%a %d %b %Y, %H:%M %Z"


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _named(fmt: str) -> str:
    # A time of day is never shown without its zone.
    return fmt + " %Z" if "%H" in fmt and "%Z" not in fmt else fmt


def format_in_zone(value: datetime | None, tz_name: str | None, fmt: str = FULL) -> str:
    """An aware datetime in exactly this zone (the room's, a learner's), whoever looks."""
    if value is None:
        return ""
    return value.astimezone(_zone(tz_name)).strftime(fmt)


def trainer_zone(fallback: str | None = None) -> str | None:
    """The signed-in trainer's zone, once they chose one; else `fallback`."""
    zone = getattr(current_user, "timezone", None) if current_user and current_user.is_authenticated else None
    return zone or fallback


def format_local(value: datetime | None, tz_name: str | None = None, fmt: str = FULL) -> str:
    """A time on a page not about one session: in the trainer's zone (else tz_name), zone named."""
    return format_in_zone(value, trainer_zone(tz_name), _named(fmt))


def format_in_session(value: datetime | None, training_session, fmt: str = FULL) -> str:
    """A time of a session (its start, a question, a reply, a step's due time): in the session's zone, named."""
    zone = training_session if isinstance(training_session, str) else getattr(training_session, "timezone", None)
    return format_in_zone(value, zone, _named(fmt))


def beside(value: datetime | None, their_zone: str | None, shown_zone: str | None, fmt: str = "%H:%M %Z") -> str:
    """Someone's own local time, for beside a time shown in another zone: "" when the clocks agree."""
    if value is None or not their_zone or _zone(their_zone).utcoffset(value) == _zone(shown_zone).utcoffset(value):
        return ""
    return format_in_zone(value, their_zone, fmt)
