"""The session form: local date-times in a chosen zone, sequences, join keyword, acknowledgement."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo


from drip.domain import numbers
from drip.domain import catalog, cohort
from drip.domain.keywords import classify_keyword
from drip.models import TrainingSession
from drip.services.learners.upsert import known_timezone
from drip.services.programs.sessions import join_keyword_taken

COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Perth",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "UTC",
)
_KEYWORD = re.compile(r"[A-Z0-9]{2,20}")
LIVE_MARGIN = timedelta(minutes=15)


def local_to_utc(text: str, zone: str) -> datetime:
    """A <input type=datetime-local> value read in a zone; ValueError for a time the clocks skip."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("give a date and time") from None
    if naive.tzinfo is not None:
        raise ValueError("give a local date and time, without an offset")
    if not 2000 <= naive.year <= 2100:
        raise ValueError("give a date between the years 2000 and 2100")
    tz = ZoneInfo(zone)
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValueError(f"{naive:%H:%M} does not exist on {naive:%d %b %Y} in {zone}: the clocks skip it")
    return aware.astimezone(timezone.utc)


@dataclass
class SessionForm:
    """The session form as text, plus what it parses into."""

    title: str = ""
    starts: str = ""
    ends: str = ""
    timezone: str = "UTC"
    join_url: str = ""
    sequence_ids: list[int] = field(default_factory=list)
    join_keyword: str = ""
    acknowledgement: str = ""  # empty: the moderation's own words
    moderation: str = catalog.DEFAULT_MODERATION
    slide_ids: list[int] = field(default_factory=list)  # media library items on the cohort page
    slides_early: bool = False  # shown before the session starts

    @classmethod
    def from_session(cls, ts: TrainingSession) -> "SessionForm":
        """The form filled from a stored session, times in its own zone."""
        tz = ZoneInfo(ts.timezone)
        return cls(
            ts.title,
            f"{ts.starts_at.astimezone(tz):%Y-%m-%dT%H:%M}",
            f"{ts.ends_at.astimezone(tz):%Y-%m-%dT%H:%M}",
            ts.timezone,
            ts.join_url,
            [s.id for s in ts.sequences],
            ts.join_keyword or "",
            ts.acknowledgement,
            ts.moderation,
            [item.id for item in ts.slides],
            ts.slides_early,
        )

    @classmethod
    def from_request(cls, form) -> "SessionForm":
        """The form as submitted (a werkzeug MultiDict)."""
        ids = numbers.parse_ids(form.getlist("sequence_ids"))
        return cls(
            *(form.get(k, "").strip()[:2000] for k in ("title", "starts", "ends", "timezone", "join_url")),
            ids,
            form.get("join_keyword", "").strip()[:40],
            form.get("acknowledgement", "").strip()[:500],
            form.get("moderation", catalog.DEFAULT_MODERATION)[:20],
            [int(v) for v in form.getlist("slide_ids") if v.isdigit() and len(v) < 10],
            form.get("slides_early") == "on",
        )

    def parse(self, *, session_id: int | None = None) -> tuple[dict, dict[str, str]]:
        """Service arguments and a reason per field that is wrong."""
        errors: dict[str, str] = {}
        zone = known_timezone(self.timezone) if self.timezone else None
        if zone is None:
            errors["timezone"] = f"“{self.timezone}” is not a known time zone (use a name like Europe/Paris)"
        values: dict = {
            "title": self.title,
            "timezone": zone,
            "join_url": self.join_url,
            "sequence_ids": self.sequence_ids,
            "moderation": self.moderation,
            "slide_ids": self.slide_ids,
            "cohort_page": cohort.Settings(slides_early=self.slides_early),
        }
        if self.moderation not in catalog.names(catalog.MODERATIONS):
            errors["moderation"] = "choose how questions reach the projector"
        for key, text in (("starts_at", self.starts), ("ends_at", self.ends)):
            try:
                values[key] = local_to_utc(text, zone) if zone else None
            except ValueError as error:
                errors[key] = str(error)
        keyword = self.join_keyword.upper()
        if keyword:
            if not _KEYWORD.fullmatch(keyword):
                errors["join_keyword"] = "use 2 to 20 letters or digits, no spaces"
            elif classify_keyword(keyword):
                errors["join_keyword"] = f"{keyword} is reserved for opting out, in or asking for help"
            elif values.get("starts_at") and values.get("ends_at") and _keyword_taken(keyword, values, session_id):
                errors["join_keyword"] = f"another session at the same time already uses {keyword}"
        return {**values, "join_keyword": keyword or None}, errors


def _keyword_taken(keyword: str, values: Mapping, session_id: int | None) -> bool:
    """Walk-ins text the keyword while a session is live: two live sessions cannot share one."""
    return join_keyword_taken(keyword, values["starts_at"], values["ends_at"], session_id)
