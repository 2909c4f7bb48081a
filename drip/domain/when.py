"""Times in words, as a learner reads them, in their language: "in 6 days", "tomorrow at 09:00",
"dentro de 6 días", "demain à 09:00", "Tue 14 Oct, 9:30 AM EDT".

Amounts of time come from CLDR through Babel ("dans 6 jours", "in 20 Minuten"); the few sentences
CLDR has no form for ("tomorrow at …") come from Drip's catalogs (domain/words.py).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, tzinfo

from babel.dates import format_datetime, format_time, format_timedelta

from drip.domain.words import say


def _in(amount: int, unit: str, language: str) -> str:
    # threshold=amount makes Babel keep the unit we chose ("in 13 days", not "in 2 weeks").
    return format_timedelta(
        timedelta(**{unit: amount}), threshold=amount, granularity="minute", add_direction=True, locale=language
    )


def starts_in(starts_at: datetime, now: datetime, tz: tzinfo, language: str = "en") -> str:
    """How far off a session is from now, worded in the reader's zone and language; "now" once it has started."""
    left = starts_at - now
    if left <= timedelta(0):
        return say(language, "now")
    if left < timedelta(hours=1):
        return _in(max(round(left.total_seconds() / 60), 1), "minutes", language)
    start, today = starts_at.astimezone(tz), now.astimezone(tz).date()
    days = (start.date() - today).days
    time = format_time(start, "HH:mm", locale=language)
    if days == 0:
        return say(language, "today at %(time)s", time=time)
    if days == 1:
        return say(language, "tomorrow at %(time)s", time=time)
    if days < 14:
        return _in(days, "days", language)
    return _in(days // 7, "weeks", language)


@functools.lru_cache(maxsize=4096)  # a batch's messages share a few (start, zone, language): CLDR formatting is slow
def starts_at_text(moment: datetime, tz: tzinfo, language: str = "en") -> str:
    """A session start in the learner's zone and language, e.g. "Tue 14 Oct, 9:30 AM EDT", "mar 14 oct, 09:30 EDT"."""
    local = moment.astimezone(tz)
    # Translators: a CLDR date pattern for a session's start (EEE day, d day of month, MMM month, HH/h:mm time,
    # a AM/PM); the zone's abbreviation is added after it.
    pattern = say(language, "EEE d MMM, h:mm a")
    return f"{format_datetime(local, pattern, tzinfo=tz, locale=language)} {local.tzname()}"
