"""How the admin names a step: the trainer's label, else its kind and moment ("Poll · 7 days before start")."""

from __future__ import annotations

from datetime import time

from drip.domain import catalog
from drip.domain.durations import describe_timing

MAX_LABEL = 80


def step_name(kind: str, label: str | None, anchor: str, offset: str, local_time: time | None = None) -> str:
    """The name of a step wherever the admin shows one; never its template text."""
    if label and label.strip():
        return label.strip()
    row = catalog.step_kind(kind)
    try:
        moment = describe_timing(anchor, offset, local_time)
    except ValueError:  # a step stored before today's checks: still named, never a 500
        moment = f"{offset} from {anchor}"
    return f"{row.short_label if row else kind} · {moment}"


def name_of(step) -> str:
    """step_name for anything with a step's fields (a Step row, an API model)."""
    return step_name(step.kind, getattr(step, "label", None), step.anchor, step.offset, step.local_time)
