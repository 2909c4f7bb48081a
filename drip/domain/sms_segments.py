"""SMS segment counting: the encoding an SMS body needs and how many billed parts it takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


# GSM 03.38 default alphabet (without ESC, which only introduces the extension table) and the
# extension characters that cost an escape plus the character. sms_counter.js holds the same
# two strings; tests/unit/test_templates.py checks they agree.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = "\f^{}\\[~]|€"
_GSM_COST = {**{ch: 1 for ch in GSM_BASIC}, **{ch: 2 for ch in GSM_EXTENDED}}
# (single-message capacity, per-part capacity once a user-data header takes its share)
_LIMITS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    """How an SMS body is billed: encoding, length in its units, and segments."""

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int
    per_segment: int
    remaining: int


def sms_segments(text: str) -> SegmentCount:
    """Count the encoding units and billed segments of an SMS body."""
    if all(ch in _GSM_COST for ch in text):
        encoding, costs = "GSM-7", [_GSM_COST[ch] for ch in text]
    else:
        # UTF-16 code units: characters beyond the BMP (most emoji) take a surrogate pair.
        encoding, costs = "UCS-2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    single, part = _LIMITS[encoding]
    units = sum(costs)
    if units <= single:
        return SegmentCount(encoding, units, 1 if units else 0, single, single - units)
    # Phones never split an escape sequence or a surrogate pair across parts, so fill greedily.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments, used = segments + 1, 0
        used += cost
    return SegmentCount(encoding, units, segments, part, part - used)
