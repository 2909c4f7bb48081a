"""Sequences and their steps: checked when written, so a step never fails at send time."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import select

from drip.domain.languages import check_sequence_language
from drip.domain.digests import ATTRIBUTIONS, source_problem
from drip.domain.durations import parse_offset
from drip.domain.schedule import DEFAULT_WINDOW
from drip.extensions import db
from drip.models import Delivery, Sequence, Step, Trainer, TrainingSession, session_sequences, utcnow
from drip.services.programs.sessions import sync_step
from drip.services.media import library
from drip.services.programs.step_checks import SequenceInvalid, check_sequence, check_step
from drip.services.programs.step_fields import StepInput, apply, fields_of
from drip.domain.catalog import STEP_DELETED
from drip.services.delivery import transitions


def timing_key(step: Step) -> tuple[int, int, str]:
    """Orders steps as they happen: start-anchored before end-anchored, then by signed offset."""
    offset = parse_offset(step.offset)
    seconds = offset.days * 86400 + offset.seconds
    return (0 if step.anchor == "start" else 1, -seconds if offset.negative else seconds, str(step.local_time or ""))


def _renumber(sequence: Sequence) -> None:
    for position, step in enumerate(sorted(sequence.steps, key=timing_key)):
        step.position = position


def create_sequence(
    trainer: Trainer,
    *,
    name: str,
    send_window: Any = DEFAULT_WINDOW,
    steps: Iterable[StepInput] = (),
    digest_by: str = "colleague",
    language: str | None = None,
) -> Sequence:
    """Create a sequence with its steps (all valid, or SequenceInvalid and nothing stored); commits."""
    items = list(steps)
    fields, checked, errors = check_sequence(name, send_window, items)
    try:
        fields["language"] = check_sequence_language(language)
    except ValueError as error:
        errors["language"] = str(error)
    created = [Step(**values) for values in checked]
    for index, step in enumerate(created):
        if problem := library.image_problem(trainer.id, step.image_id):
            errors[f"steps[{index}].image_id"] = problem
    for index, (item, step) in enumerate(zip(items, created)):
        if step.digest_source == "step":
            source = created[item.source] if 0 <= item.source < len(created) else None
            if problem := source_problem(source, step):
                errors[f"steps[{index}].source"] = problem
            step.source_step = source
    if errors:
        raise SequenceInvalid(errors)
    if digest_by not in ATTRIBUTIONS:
        raise SequenceInvalid({"digest_by": f"must be one of {', '.join(ATTRIBUTIONS)}"})
    sequence = Sequence(trainer_id=trainer.id, digest_by=digest_by, **fields)
    sequence.steps = created
    _renumber(sequence)
    db.session.add(sequence)
    db.session.commit()
    return sequence


def update_sequence(
    sequence: Sequence, *, name: str, send_window: Any, digest_by: str | None = None, language: str | None = None
) -> Sequence:
    """Rename a sequence, change its send window, language or digests' attribution; pending deliveries follow
    the window."""
    fields, _, errors = check_sequence(name, send_window, [])
    if language is not None:
        try:
            fields["language"] = check_sequence_language(language)
        except ValueError as error:
            errors["language"] = str(error)
    if digest_by is not None and digest_by not in ATTRIBUTIONS:
        errors["digest_by"] = f"must be one of {', '.join(ATTRIBUTIONS)}"
    if errors:
        raise SequenceInvalid(errors)
    if digest_by is not None:
        sequence.digest_by = digest_by
    window_changed = (sequence.send_window_start, sequence.send_window_end) != (
        fields["send_window_start"],
        fields["send_window_end"],
    )
    for key, value in fields.items():
        setattr(sequence, key, value)
    db.session.flush()
    if window_changed:
        for step in sequence.steps:
            _sync(step)
    db.session.commit()  # the sequence and its moved deliveries together
    return sequence


def save_step(sequence: Sequence, item: StepInput, step: Step | None = None) -> Step:
    """Add a step to a sequence, or change one; then move the pending deliveries of sessions using it."""
    values, errors = check_step(item)
    if problem := library.image_problem(sequence.trainer_id, values["image_id"]):
        errors["image_id"] = problem
    if errors:
        raise SequenceInvalid(errors)
    source = None
    if values["digest_source"] == "step":
        source = next((s for s in sequence.steps if s.id == item.source), None)
        if problem := source_problem(source, step):
            raise SequenceInvalid({"source": problem})
    if step is None:
        step = Step(sequence=sequence)
        db.session.add(step)
    apply(step, values)
    step.source_step = source
    _renumber(sequence)
    db.session.flush()
    _sync(step)
    db.session.commit()  # the step and its moved deliveries together
    return step


def delete_step(step: Step, *, now: datetime | None = None) -> int:
    """Delete a step: what it sent stays in each learner's history, what it had not sent is skipped; commits."""
    now = now or utcnow()
    sequence = step.sequence
    step.deleted_at = now
    skipped = transitions.withdraw(Delivery.step_id == step.id, reason=STEP_DELETED, now=now)
    db.session.flush()
    db.session.expire(sequence, ["steps"])
    _renumber(sequence)
    db.session.commit()
    return skipped


def clone_sequence(sequence: Sequence, *, name: str | None = None) -> Sequence:
    """A copy of a sequence and its steps, used by no session yet; commits."""
    copy = Sequence(
        trainer_id=sequence.trainer_id,
        name=(name or f"Copy of {sequence.name}")[:200],
        send_window_start=sequence.send_window_start,
        send_window_end=sequence.send_window_end,
    )
    copy.digest_by, copy.language = sequence.digest_by, sequence.language
    copy.steps = [
        Step(position=step.position, digest_source=step.digest_source, **fields_of(step)) for step in sequence.steps
    ]
    twins = dict(zip(sequence.steps, copy.steps))
    for original, twin in twins.items():
        twin.source_step = twins.get(original.source_step)  # a digest of the copy shares the copy's answers
    db.session.add(copy)
    db.session.commit()
    return copy


def sessions_using(sequence: Sequence) -> list[TrainingSession]:
    """The sessions a sequence is attached to."""
    query = (
        select(TrainingSession)
        .join(session_sequences, session_sequences.c.session_id == TrainingSession.id)
        .where(session_sequences.c.sequence_id == sequence.id)
        .order_by(TrainingSession.starts_at)
    )
    return list(db.session.scalars(query))


def _sync(step: Step) -> None:
    """Move the pending deliveries of this step in every session using its sequence."""
    sync_step(step)
