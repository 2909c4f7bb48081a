"""Times in words, as a learner reads them: "in 6 days", "tomorrow at 09:00", "in 20 minutes"."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo


def starts_in(starts_at: datetime, now: datetime, tz: tzinfo) -> str:
    """How far off a session is from now, worded in the reader's zone; "now" once it has started."""
    left = starts_at - now
    if left <= timedelta(0):
        return "now"
    if left < timedelta(hours=1):
        minutes = max(round(left.total_seconds() / 60), 1)
        return f"in {minutes} minute{'' if minutes == 1 else 's'}"
    start, today = starts_at.astimezone(tz), now.astimezone(tz).date()
    days = (start.date() - today).days
    if days == 0:
        return f"today at {start:%H:%M}"
    if days == 1:
        return f"tomorrow at {start:%H:%M}"
    if days < 14:
        return f"in {days} days"
    return f"in {days // 7} weeks"
