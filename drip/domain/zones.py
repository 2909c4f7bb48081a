"""Time zones by IANA name, and whose zone a learner's messages speak in."""

from __future__ import annotations

import functools
from datetime import tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@functools.lru_cache(maxsize=1024)
def zone(name: str) -> tzinfo | None:
    """The time zone of an IANA name, or None when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def learner_zone(learner_timezone: str | None, session_timezone: str) -> tzinfo:
    """The learner's time zone, falling back to the session's (then UTC) when unset or unknown."""
    return (learner_timezone and zone(learner_timezone)) or zone(session_timezone) or ZoneInfo("UTC")
