"""The timeline picture: steps as markers on a line, before and after the session in the middle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from drip.domain import catalog
from drip.domain.durations import describe_timing, parse_offset
from drip.domain.step_names import name_of
from drip.models import Step

WIDTH = 1000
SESSION_LEFT, SESSION_RIGHT = 430, 570  # the "session" box in the middle of the line
MARGIN = 30
KIND_COLOURS = {kind.name: kind.colour for kind in catalog.STEP_KINDS}


@dataclass(frozen=True)
class Marker:
    """One step drawn on the line."""

    step: Step
    x: int
    label: str
    title: str
    phase: str  # before | during | after
    above: bool  # labels alternate above and below so neighbours do not overlap

    @property
    def colour(self) -> str:
        """The kind's colour, the same in the legend."""
        return KIND_COLOURS.get(self.step.kind, catalog.DEFAULT_COLOUR)


def short_label(step: Step) -> str:
    """A compact timing for under a marker: "-7d", "start", "+1d 09:00", "-15m"."""
    offset = parse_offset(step.offset)
    days, seconds = offset.days, offset.seconds
    if not days and not seconds:
        text = step.anchor
    else:
        sign = "-" if offset.negative else "+"
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        parts = [
            f"{amount}{unit}" for amount, unit in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if amount
        ]
        # "-15m end" is inside the session box; a bare "-15m" reads as before the start. Inside the box
        # a "+1m" is after the start (the box says so); the line's labels stay short so they do not collide.
        text = sign + "".join(parts) + (" end" if step.anchor == "end" and offset.negative else "")
    if step.local_time is not None:
        text += f" {step.local_time:%H:%M}"
    return text


def phase_of(step: Step) -> str:
    """Whether a step goes out before the session, during it or after it."""
    offset = parse_offset(step.offset)
    zero = not offset.days and not offset.seconds
    if step.anchor == "start":
        return "before" if offset.negative else "during"
    return "during" if offset.negative and not zero else "after"


def _spread(count: int, left: int, right: int) -> list[int]:
    if count == 0:
        return []
    if count == 1:
        return [(left + right) // 2]
    step = (right - left) / (count - 1)
    return [round(left + i * step) for i in range(count)]


def markers(steps: Iterable[Step]) -> list[Marker]:
    """Place steps (already in time order) evenly within their phase of the line."""
    ordered = list(steps)
    by_phase: dict[str, list[Step]] = {"before": [], "during": [], "after": []}
    for step in ordered:
        by_phase[phase_of(step)].append(step)
    spans = {
        "before": (MARGIN + 20, SESSION_LEFT - 40),
        "during": (SESSION_LEFT + 25, SESSION_RIGHT - 25),
        "after": (SESSION_RIGHT + 40, WIDTH - MARGIN - 20),
    }
    placed: list[Marker] = []
    for phase, group in by_phase.items():
        for step, x in zip(group, _spread(len(group), *spans[phase])):
            title = (
                f"{name_of(step)} by {catalog.channel(step.channel).label if catalog.channel(step.channel) else step.channel}, "
                f"{describe_timing(step.anchor, step.offset, step.local_time)}"
            )
            # Inside the session box the word "session" sits below, so those labels go above.
            above = phase == "during" or len(placed) % 2 == 0
            placed.append(Marker(step, x, short_label(step), title, phase, above))
    return placed


def legend(placed: list[Marker]) -> list[tuple[str, str]]:
    """(kind in words, colour) for each kind on the line, in the order they first appear."""
    seen: dict[str, str] = {}
    for marker in placed:
        row = catalog.step_kind(marker.step.kind)
        seen.setdefault(row.short_label if row else marker.step.kind, marker.colour)
    return list(seen.items())
