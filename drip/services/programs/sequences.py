"""Sequences and their steps: checked when written, so a step never fails at send time."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Iterable, Mapping

from sqlalchemy import select

from drip.domain import catalog, follow_ups, quiz, templates
from drip.domain.digests import ATTRIBUTIONS, digest_source, source_problem
from drip.domain.durations import parse_offset
from drip.domain.schedule import DEFAULT_WINDOW, SendWindow
from drip.extensions import db
from drip.models import Delivery, Sequence, Step, Trainer, TrainingSession, session_sequences, utcnow
from drip.services.programs.sessions import sync_step
from drip.services.programs.step_fields import StepInput, apply, fields_of
from drip.domain.catalog import STEP_DELETED
from drip.services.delivery import transitions

KINDS = catalog.authorable_step_kinds()
WITH_CHOICES = catalog.choice_step_kinds()
CHANNELS = catalog.names(catalog.CHANNELS)
MAX_CHOICES = 9  # one digit to reply with


class SequenceInvalid(ValueError):
    """A sequence or step that cannot be saved; errors map a field ("name", "steps[0].body") to a reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{key}: {reason}" for key, reason in self.errors.items()))


def _local_time(value: time | str | None) -> time | None:
    if value is None or isinstance(value, time):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"“{value}” is not a time of day; write it like 09:00") from None
    if parsed.tzinfo is not None:
        raise ValueError("give a plain local time such as 09:00, without a zone")
    return parsed


def check_step(item: StepInput) -> tuple[dict[str, Any], dict[str, str]]:
    """The step's normalised column values, and a reason per field that is wrong."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "kind": item.kind,
        "channel": item.channel,
        "anchor": item.anchor,
        "if_late": item.if_late,
    }
    channels = catalog.names(catalog.CHANNELS)  # read now: a channel may have been added since import
    for key, allowed in (
        ("kind", KINDS),
        ("channel", channels),
        ("anchor", ("start", "end")),
        ("if_late", ("skip", "send")),
    ):
        if values[key] not in allowed:
            errors[key] = f"must be one of {', '.join(allowed)}"
    try:
        values["offset"] = str(parse_offset(item.offset))
    except ValueError as error:
        errors["offset"] = str(error)
    try:
        values["local_time"] = _local_time(item.local_time)
    except ValueError as error:
        errors["local_time"] = str(error)
    body = item.body if isinstance(item.body, str) else ""
    values["body"] = body.strip("\n").replace("\r\n", "\n")
    shape = catalog.channel(item.channel).shape if "channel" not in errors else "text"
    subject = (item.subject or "").strip() if shape == "email" else None
    values["subject"] = subject
    for reason in templates.validate(values["body"], subject=subject, sms=shape == "text"):
        key = "subject" if reason.startswith("Subject: ") else "body"
        errors.setdefault(key, reason.removeprefix("Subject: "))
    choices = [c.strip() for c in (item.choices or []) if isinstance(c, str) and c.strip()]
    if item.kind in WITH_CHOICES and not 2 <= len(choices) <= MAX_CHOICES:
        errors["choices"] = f"a {item.kind} needs between 2 and {MAX_CHOICES} choices, one per line"
    elif item.kind not in WITH_CHOICES and choices:
        errors["choices"] = "only polls and quizzes have choices"
    values["choices"] = choices if item.kind in WITH_CHOICES else None
    values.update(answer=None, explain=None, retry_after=None)
    if item.kind == "quiz":
        quiz_values, quiz_errors = quiz.check(choices, item.answer, item.explain, item.retry_after)
        values.update(quiz_values)
        errors.update(quiz_errors)
    elif item.answer is not None or item.explain or item.retry_after:
        errors["answer"] = "only quizzes have a right answer, an explanation and re-asks"
    values["follow_up"], follow_errors = follow_ups.check(item.kind, item.channel, item.follow_up)
    errors.update(follow_errors)
    values["digest_source"], problem = digest_source(item.kind, item.source)
    if problem:
        errors["source"] = problem
    return values, errors


def _window(send_window: SendWindow | Mapping[str, str] | None) -> tuple[time | None, time | None]:
    if send_window is None:
        return None, None
    if isinstance(send_window, Mapping):
        try:
            send_window = SendWindow(time.fromisoformat(send_window["start"]), time.fromisoformat(send_window["end"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"give a start and end like 08:00 and 21:00 ({error})") from None
    return send_window.start, send_window.end


def _check_sequence(name: str, send_window: Any, steps: Iterable[StepInput]) -> tuple[dict, list[dict], dict[str, str]]:
    errors: dict[str, str] = {}
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        errors["name"] = "a name is required"
    elif len(name) > 200:
        errors["name"] = "is longer than 200 characters"
    try:
        start, end = _window(send_window)
    except ValueError as error:
        errors["send_window"], start, end = str(error), None, None
    checked = []
    for index, item in enumerate(steps):
        values, step_errors = check_step(item)
        errors.update({f"steps[{index}].{key}": reason for key, reason in step_errors.items()})
        checked.append(values)
    return {"name": name, "send_window_start": start, "send_window_end": end}, checked, errors


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
) -> Sequence:
    """Create a sequence with its steps (all valid, or SequenceInvalid and nothing stored); commits."""
    items = list(steps)
    fields, checked, errors = _check_sequence(name, send_window, items)
    created = [Step(**values) for values in checked]
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


def update_sequence(sequence: Sequence, *, name: str, send_window: Any, digest_by: str | None = None) -> Sequence:
    """Rename a sequence, change its send window or its digests' attribution; pending deliveries follow the window."""
    fields, _, errors = _check_sequence(name, send_window, [])
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
    copy.digest_by = sequence.digest_by
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
