"""A step's authorable fields, named once: what a trainer (or the API) writes, and how it lands on a Step.

The API's input and output, the step form, clone_sequence and the demo all copy steps through
`fields_of` and `apply`, so a new field is one line in StepInput (and its column on Step).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import time
from typing import Any, Mapping


@dataclass(frozen=True)
class StepInput:
    """A step as the trainer (or the API) wrote it, before checking."""

    kind: str
    channel: str
    anchor: str
    offset: str
    body: str
    label: str | None = None
    local_time: time | str | None = None
    subject: str | None = None
    choices: list[str] | None = None
    if_late: str = "skip"
    answer: int | None = None
    explain: str | None = None
    retry_after: str | None = None
    follow_up: Mapping[str, Any] | None = None
    # {"es": {"body", "subject"?, "choices"?, "explain"?, "follow_up"?}} (domain.translations).
    translations: Mapping[str, Any] | None = None
    # A picture from the trainer's media library sent with the step (its id).
    image_id: int | None = None
    # Digests: "questions", or the source step (an index into the new sequence's steps when creating
    # one, the id of a step of the same sequence when saving a single step).
    source: int | str | None = None


AUTHORED: tuple[str, ...] = tuple(field.name for field in fields(StepInput))
# A digest's source is the one authored field stored otherwise (Step.digest_source and
# Step.source_step); every other one is a Step column of the same name.
STORED: tuple[str, ...] = tuple(name for name in AUTHORED if name != "source")


def fields_of(step: Any, names: tuple[str, ...] = STORED, **converted: Any) -> dict[str, Any]:
    """The authored fields of a step (a Step row, a StepInput or the API's StepIn), by name;
    `converted` gives some of them in the form the receiving side takes (a time as "09:00")."""
    return {name: getattr(step, name) for name in names} | converted


def apply(step: Any, values: Mapping[str, Any]) -> Any:
    """Set a step's fields from `values` (as fields_of or check_step give them); returns the step."""
    for name, value in values.items():
        setattr(step, name, value)
    return step
