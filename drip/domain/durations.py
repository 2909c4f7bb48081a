"""Step offsets: signed ISO 8601 durations, and the trainer's words for them.

An offset has a calendar part (days; weeks fold into days) and an elapsed part (hours, minutes,
seconds). They are kept apart because they mean different things across a DST change: "P1D" is
the same wall-clock time the next day, "PT24H" is exactly 24 hours later. Years and months are
refused because their length varies.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import time

MAX_DAYS = 3660  # ten years; anything further is a typo, and would overflow dates near year 9999

_PATTERN = re.compile(
    r"(?P<sign>[+-])?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?P<time>T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
    re.ASCII,  # only 0-9 count as digits
)
_EXAMPLES = "write it like -P7D (7 days before), PT0S (at the anchor) or P1DT2H (1 day 2 hours after)"
_UNIT_SECONDS = {"weeks": 7 * 86400, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


@dataclass(frozen=True)
class Offset:
    """A signed offset from a session anchor: calendar days plus exact elapsed seconds."""

    negative: bool
    days: int
    seconds: int

    def __post_init__(self) -> None:
        for name in ("days", "seconds"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"offset {name} must be a whole number, zero or more")
        if self.days * 86400 + self.seconds > MAX_DAYS * 86400:
            raise ValueError("offset is more than 10 years from the session; use a shorter one")
        if not self.days and not self.seconds:
            object.__setattr__(self, "negative", False)  # "-PT0S" and "PT0S" are the same moment
        else:
            object.__setattr__(self, "negative", bool(self.negative))

    def __str__(self) -> str:
        """Canonical ISO 8601 text, e.g. -P7D, PT0S, P1DT2H."""
        if not self.days and not self.seconds:
            return "PT0S"
        text = "-P" if self.negative else "P"
        if self.days:
            text += f"{self.days}D"
        if self.seconds:
            hours, rest = divmod(self.seconds, 3600)
            minutes, seconds = divmod(rest, 60)
            text += "T" + "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
        return text


def parse_offset(text: str) -> Offset:
    """Parse a signed ISO 8601 duration such as -P7D, -PT15M, P1DT2H30M or P2W."""
    if not isinstance(text, str):
        raise ValueError(f"offset must be text; {_EXAMPLES}")
    return _parse(text.strip().upper())


@functools.lru_cache(maxsize=1024)  # a handful of distinct offsets are parsed millions of times
def _parse(text: str) -> Offset:
    match = _PATTERN.fullmatch(text) if len(text) <= 40 else None  # bounds int() on hostile input
    if match is None:
        if "." in text or "," in text:
            raise ValueError(f"offset {text!r} has a fraction; use whole numbers (PT90M, not PT1.5H)")
        raise ValueError(f"offset {text!r} is not valid; {_EXAMPLES}")
    parts = match.groupdict()
    if parts["years"] is not None or parts["months"] is not None:
        raise ValueError(
            f"offset {text!r} counts months or years, which vary in length; "
            "use days or weeks instead of months (e.g. P30D or P4W)"
        )
    numbers = {k: int(v) for k, v in parts.items() if k not in ("sign", "time") and v is not None}
    if not numbers:
        raise ValueError(f"offset {text!r} has no amount; {_EXAMPLES}")
    if parts["time"] is not None and not {"hours", "minutes", "seconds"} & numbers.keys():
        raise ValueError(f"offset {text!r} has a 'T' with no hours, minutes or seconds after it")
    return Offset(
        negative=parts["sign"] == "-",
        days=numbers.get("weeks", 0) * 7 + numbers.get("days", 0),
        seconds=numbers.get("hours", 0) * 3600 + numbers.get("minutes", 0) * 60 + numbers.get("seconds", 0),
    )


def _unit(unit: str) -> str:
    name = unit.strip().lower() if isinstance(unit, str) else ""
    name = name if name.endswith("s") else name + "s"  # "day" and "days" both mean days
    if name not in _UNIT_SECONDS:
        raise ValueError(f"unit must be seconds, minutes, hours, days or weeks (got {unit!r})")
    return name


def _direction(direction: str) -> str:
    name = direction.strip().lower() if isinstance(direction, str) else ""
    if name not in ("before", "after"):
        raise ValueError(f"direction must be 'before' or 'after' (got {direction!r})")
    return name


def offset_from_parts(amount: int, unit: str, direction: str) -> str:
    """Turn the admin form's "7 days before" into canonical ISO text ("-P7D")."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise ValueError(f"amount must be a whole number, zero or more (got {amount!r})")
    unit, negative = _unit(unit), _direction(direction) == "before"
    if unit in ("weeks", "days"):
        offset = Offset(negative, amount * (7 if unit == "weeks" else 1), 0)
    else:
        offset = Offset(negative, 0, amount * _UNIT_SECONDS[unit])
    return str(offset)


def parts_from_offset(iso: str) -> tuple[int, str, str]:
    """Turn ISO text into the admin form's (amount, unit, direction), in the largest whole unit.

    Zero is (0, "minutes", "after"). An offset mixing days and hours ("P1DT2H") comes back in
    hours (26), which the form can show; one that is not whole minutes ("-PT5S", as the API
    allows) comes back in seconds.
    """
    offset = parse_offset(iso)
    direction = "before" if offset.negative else "after"
    if not offset.days and not offset.seconds:
        return 0, "minutes", direction
    if not offset.seconds:
        if offset.days % 7 == 0:
            return offset.days // 7, "weeks", direction
        return offset.days, "days", direction
    total = offset.days * 86400 + offset.seconds
    for unit in ("hours", "minutes", "seconds"):
        if total % _UNIT_SECONDS[unit] == 0:
            return total // _UNIT_SECONDS[unit], unit, direction
    raise AssertionError("unreachable: every offset is whole seconds")


def _count(amount: int, unit: str) -> str:
    return f"{amount} {unit if amount == 1 else unit + 's'}"


def describe_timing(anchor: str, offset_iso: str, local_time: time | None) -> str:
    """Say when a step goes out in a trainer's words: "7 days before start", "1 day after end at 09:00"."""
    if anchor not in ("start", "end"):
        raise ValueError(f"anchor must be 'start' or 'end' (got {anchor!r})")
    offset = parse_offset(offset_iso)
    at = ""
    if local_time is not None:
        at = f" at {local_time:%H:%M:%S}" if local_time.second else f" at {local_time:%H:%M}"
    if not offset.days and not offset.seconds:
        return f"on the day of {anchor}{at}" if at else f"at {anchor}"
    words = [_count(offset.days, "day")] if offset.days else []  # "7 days", not "1 week": it reads exact
    hours, rest = divmod(offset.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    words += [_count(n, u) for n, u in ((hours, "hour"), (minutes, "minute"), (seconds, "second")) if n]
    return f"{' '.join(words)} {'before' if offset.negative else 'after'} {anchor}{at}"
