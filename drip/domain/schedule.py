"""Due times: anchor + offset, local time, send window, DST, late joiners.

Pure Python; every instant is an aware datetime and every result is in UTC.

Speed: ``due_at`` depends only on its arguments, so it is memoised (keyed on the UTC instants of
the session, never its local times: 01:30 EDT and 01:30 EST differ only in fold, and aware
datetimes in one zone compare and hash equal regardless of fold); learners who share a time
zone share one computation per step, whether the caller loops over ``plan`` per learner or
groups them with ``plan_for_zones``. Measured (Python 3.11, one core): 100,000 fresh ``due_at``
computations take about 0.8 s (≈8 µs each, window and local time included), 100,000 memoised
calls about 0.06 s, and ``plan`` for 10,000 learners × 10 steps in one zone about 0.14 s
(see ``test_due_at_speed``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from typing import Generic, Literal, TypeVar

from drip.domain.catalog import SESSION_OVER
from drip.domain.durations import Offset, parse_offset

UTC = timezone.utc
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class SendWindow:
    """Local hours in which messages may go out: from start (included) to end (excluded)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError("send window times must be plain local times such as 08:00")
        if not self.start < self.end:
            raise ValueError(f"send window must start before it ends ({self.start} is not before {self.end})")

    def contains(self, moment: time) -> bool:
        """Whether a local time of day falls inside the window."""
        return self.start <= moment < self.end


DEFAULT_WINDOW = SendWindow(time(8), time(21))
LATE = "late"


@dataclass(frozen=True)
class StepTiming:
    """When a step goes out: anchor + offset, optionally at a local time, and what to do if late."""

    anchor: Literal["start", "end"]
    offset: str
    local_time: time | None = None
    if_late: Literal["skip", "send"] = "skip"
    # A live_prompt ("text your questions now") is worthless once the session is over.
    until_end: bool = False

    def __post_init__(self) -> None:
        if self.anchor not in ("start", "end"):
            raise ValueError(f"anchor must be 'start' or 'end' (got {self.anchor!r})")
        parse_offset(self.offset)  # refuse a bad offset when the step is written, not when it is due
        if self.local_time is not None and (not isinstance(self.local_time, time) or self.local_time.tzinfo):
            raise ValueError("local_time must be a plain local time such as 09:00")
        if self.if_late not in ("skip", "send"):
            raise ValueError(f"if_late must be 'skip' or 'send' (got {self.if_late!r})")


@dataclass(frozen=True)
class PlannedDelivery(Generic[K]):
    """One step's outcome for one learner: scheduled at due_at, or skipped with a reason.

    A late step sent anyway is "scheduled" with reason "late" and due_at at (or just after) now.
    """

    key: K
    due_at: datetime
    status: Literal["scheduled", "skipped"]
    reason: str | None


def _require_aware(**moments: datetime) -> None:
    for name, moment in moments.items():
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise ValueError(f"{name} must be a datetime with a time zone")


def _end_of_gap(wall: datetime, tz: tzinfo) -> datetime:
    # In a gap, fold=1 maps with the later offset (an instant before the jump) and fold=0 with the
    # earlier one (an instant after it); the jump lies between, on a whole second.
    a = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    b = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = math.floor(min(a, b).timestamp()), math.ceil(max(a, b).timestamp())
    after = datetime.fromtimestamp(hi, UTC).astimezone(tz).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _instant(wall: datetime, tz: tzinfo, not_before: datetime | None = None) -> datetime:
    """The instant a naive local wall time names in tz.

    A wall time skipped by a clock change moves forward to the first instant after the gap; a
    repeated one takes its first occurrence, unless that is before not_before.
    """
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) != wall:
        return _end_of_gap(wall, tz)
    if not_before is not None and first < not_before:
        second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if second >= not_before and second.astimezone(tz).replace(tzinfo=None) == wall:
            return second
    return first


def _shift(anchor: datetime, offset: Offset, tz: tzinfo) -> datetime:
    """Anchor + offset: days on the calendar in tz (same wall clock), the rest as elapsed time."""
    sign = -1 if offset.negative else 1
    moment = anchor.astimezone(UTC)
    if offset.days:  # with no days, keep the anchor's own instant even if its wall time repeats
        wall = anchor.astimezone(tz).replace(tzinfo=None) + timedelta(days=sign * offset.days)
        moment = _instant(wall, tz)
    return moment + timedelta(seconds=sign * offset.seconds)


def _open_at(moment: datetime, tz: tzinfo, window: SendWindow | None) -> datetime:
    """The moment itself if its local time is in the window, else the window's next opening."""
    if window is None:
        return moment
    candidate = moment
    for _ in range(8):  # more than one turn only when an opening falls in a clock-change gap
        local = candidate.astimezone(tz)
        if window.contains(local.time()):
            return candidate
        day = local.date() if local.time() < window.start else local.date() + timedelta(days=1)
        candidate = _instant(datetime.combine(day, window.start), tz, not_before=moment)
    raise ValueError(f"send window {window.start}-{window.end} never opens in {tz}")


def due_at(
    timing: StepTiming, *, starts_at: datetime, ends_at: datetime, tz: tzinfo, window: SendWindow | None
) -> datetime:
    """When a step is due (aware, UTC) for a session in time zone tz, honouring the send window."""
    _require_aware(starts_at=starts_at, ends_at=ends_at)
    # Memoised on UTC instants: two aware datetimes in one zone that differ only in fold (01:30 EDT
    # and 01:30 EST on a fall-back night) compare and hash equal, so a cache keyed on local times
    # would hand the second one the first one's answer, an hour out.
    return _due_at_memo(
        timing, starts_at=starts_at.astimezone(UTC), ends_at=ends_at.astimezone(UTC), tz=tz, window=window
    )


def _due_at(
    timing: StepTiming, *, starts_at: datetime, ends_at: datetime, tz: tzinfo, window: SendWindow | None
) -> datetime:
    _require_aware(starts_at=starts_at, ends_at=ends_at)
    if ends_at.astimezone(UTC) < starts_at.astimezone(UTC):  # same-zone comparison would ignore fold
        raise ValueError("the session ends before it starts")
    anchor = starts_at if timing.anchor == "start" else ends_at
    moment = _shift(anchor, parse_offset(timing.offset), tz)
    if timing.local_time is not None:
        day = moment.astimezone(tz).date()
        moment = _instant(datetime.combine(day, timing.local_time), tz)
    if starts_at <= moment < ends_at:
        return moment  # the learner is attending at that hour, whatever their send window says
    return _open_at(moment, tz, window)


_due_at_memo = functools.lru_cache(maxsize=8192)(_due_at)  # enrolment asks the same question per learner in a zone
due_at.__wrapped__ = _due_at  # the uncached computation (test_due_at_speed)
due_at.cache_clear = _due_at_memo.cache_clear
due_at.cache_info = _due_at_memo.cache_info


def later(moment: datetime, offset: str, *, tz: tzinfo, window: SendWindow | None) -> datetime:
    """A follow-on's due time: moment + offset (days on the calendar in tz), at the window's next opening."""
    _require_aware(moment=moment)
    return _open_at(_shift(moment, parse_offset(offset), tz), tz, window)


def _over(timing: StepTiming, moment: datetime, ends_at: datetime) -> bool:
    return timing.until_end and moment > ends_at


def plan(
    steps: Sequence[tuple[K, StepTiming]],
    *,
    starts_at: datetime,
    ends_at: datetime,
    tz: tzinfo,
    window: SendWindow | None,
    now: datetime,
) -> list[PlannedDelivery[K]]:
    """Plan every step for one learner enrolling (or a session moving) at `now`, in step order."""
    _require_aware(now=now)
    now = now.astimezone(UTC)
    dues = [due_at(timing, starts_at=starts_at, ends_at=ends_at, tz=tz, window=window) for _, timing in steps]
    late_sendable = [i for i, (_, timing) in enumerate(steps) if dues[i] < now and timing.if_late == "send"]
    # Steps never pile up: of the late steps allowed to go out, only the most recent one does.
    chosen = max(late_sendable, key=lambda i: (dues[i], i), default=None)
    # A late step sent during the session goes at once: the window does not hold it either.
    late_at = now if starts_at <= now < ends_at else _open_at(now, tz, window)
    planned = []
    for i, (key, timing) in enumerate(steps):
        if _over(timing, dues[i], ends_at) or (dues[i] < now and i == chosen and _over(timing, late_at, ends_at)):
            planned.append(PlannedDelivery(key, dues[i], "skipped", SESSION_OVER.code))
        elif dues[i] >= now:
            planned.append(PlannedDelivery(key, dues[i], "scheduled", None))
        elif i == chosen:
            planned.append(PlannedDelivery(key, late_at, "scheduled", LATE))
        else:
            planned.append(PlannedDelivery(key, dues[i], "skipped", LATE))
    return planned


def plan_for_zones(
    steps: Sequence[tuple[K, StepTiming]],
    *,
    starts_at: datetime,
    ends_at: datetime,
    zones: Iterable[tzinfo],
    window: SendWindow | None,
    now: datetime,
) -> dict[tzinfo, list[PlannedDelivery[K]]]:
    """Plan once per distinct time zone, for callers enrolling many learners at the same moment."""
    steps = list(steps)
    return {
        tz: plan(steps, starts_at=starts_at, ends_at=ends_at, tz=tz, window=window, now=now)
        for tz in dict.fromkeys(zones)
    }
