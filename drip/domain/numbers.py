"""Numbers typed by people or posted by strangers: ASCII digits only, and a bound.

`str.isdigit()` is true for "²" and "¹", which `int()` then refuses (a 500), and `int()` takes
"1_000", " 7 " and other scripts' digits; an unbounded number overflows the database's integer.
"""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1  # the largest id the integer primary keys hold; a larger one exists nowhere
_DIGITS = re.compile(r"[0-9]{1,12}")


def ascii_int(raw: object, *, low: int = 0, high: int = MAX_ID) -> int:
    """The integer `raw` writes in ASCII digits (surrounding spaces allowed), within [low, high]; ValueError otherwise.

    Usable as Flask's `request.args.get(..., type=ascii_int)`.
    """
    text = str(raw if raw is not None else "").strip()
    if not _DIGITS.fullmatch(text):
        raise ValueError(f"not a whole number: {text[:20]!r}")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"out of range {low}..{high}")
    return value


def parse_int(raw: object, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """Like ascii_int, but None instead of ValueError."""
    try:
        return ascii_int(raw, low=low, high=high)
    except ValueError:
        return None


def parse_id(raw: object) -> int | None:
    """A row id (1..MAX_ID) written in ASCII digits, else None."""
    return parse_int(raw, low=1)


def id_param(raw: object) -> int:
    """A row id for Flask's `type=`: ValueError unless 1..MAX_ID in ASCII digits."""
    return ascii_int(raw, low=1)


def parse_ids(values: list[str], limit: int = 10_000) -> list[int]:
    """The row ids among form values (others dropped), at most `limit` of them."""
    return [value for value in (parse_id(raw) for raw in values[:limit]) if value is not None]
