"""Checking a sequence and its steps as the trainer wrote them: every field, before anything is stored."""

from __future__ import annotations

from datetime import time
from typing import Any, Iterable, Mapping

from drip.domain import catalog, follow_ups, quiz, templates, translations
from drip.domain.digests import digest_source
from drip.domain.durations import parse_offset
from drip.domain.schedule import SendWindow
from drip.domain.step_names import MAX_LABEL
from drip.services.programs.step_fields import StepInput

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
    label = " ".join(item.label.split()) if isinstance(item.label, str) else ""
    values["label"] = label or None
    if len(label) > MAX_LABEL:
        errors["label"] = f"keep the name under {MAX_LABEL} characters"
    body = item.body if isinstance(item.body, str) else ""
    values["body"] = body.strip("\n").replace("\r\n", "\n")
    shape = catalog.channel(item.channel).shape if "channel" not in errors else "text"
    subject = (item.subject or "").strip() if shape == "email" else None
    values["subject"] = subject
    for reason in templates.validate(values["body"], subject=subject, sms=shape == "text"):
        key = "subject" if reason.startswith("Subject: ") else "body"
        errors.setdefault(key, reason.removeprefix("Subject: "))
    choices = [c.strip() for c in (item.choices or []) if isinstance(c, str) and c.strip()]
    # A poll without any choice is an open poll (free-text answers, a word cloud on the projector).
    open_poll = item.kind == "poll" and not choices
    if item.kind in WITH_CHOICES and not open_poll and not 2 <= len(choices) <= MAX_CHOICES:
        errors["choices"] = f"a {item.kind} needs between 2 and {MAX_CHOICES} choices, one per line" + (
            " (or none, for an open poll)" if item.kind == "poll" else ""
        )
    elif item.kind not in WITH_CHOICES and choices:
        errors["choices"] = "only polls and quizzes have choices"
    values["choices"] = (choices or None) if item.kind in WITH_CHOICES else None
    values.update(answer=None, explain=None, retry_after=None)
    if item.kind == "quiz":
        quiz_values, quiz_errors = quiz.check(choices, item.answer, item.explain, item.retry_after)
        values.update(quiz_values)
        errors.update(quiz_errors)
    elif item.answer is not None or item.explain or item.retry_after:
        errors["answer"] = "only quizzes have a right answer, an explanation and re-asks"
    values["follow_up"], follow_errors = follow_ups.check(item.kind, item.channel, item.follow_up)
    errors.update(follow_errors)
    parts = translations.StepShape(
        sms=shape == "text", choices=values["choices"], quiz=item.kind == "quiz", follow_up=values["follow_up"]
    )
    values["translations"], translation_errors = translations.check(item.translations, parts)
    errors.update(translation_errors)
    values["digest_source"], problem = digest_source(item.kind, item.source)
    if problem:
        errors["source"] = problem
    values["image_id"] = item.image_id if isinstance(item.image_id, int) and item.image_id > 0 else None
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


def check_sequence(name: str, send_window: Any, steps: Iterable[StepInput]) -> tuple[dict, list[dict], dict[str, str]]:
    """(sequence columns, each step's values, a reason per bad field) of a sequence as written."""
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
