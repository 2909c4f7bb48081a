"""The quiz and follow-up parts of the step form, in the trainer's words ("2 days later")."""

from __future__ import annotations

from typing import Any

from drip.domain import numbers
from drip.domain import quiz, templates
from drip.domain.durations import offset_from_parts, parse_offset, parts_from_offset
from drip.domain.follow_ups import FOLLOWED_KINDS

LATER_UNITS = ("minutes", "hours", "days", "weeks")


def duration_parts(iso: str | None, default: tuple[str, str]) -> tuple[str, str]:
    """(amount, unit) of a positive duration for the form; whole minutes at least."""
    if not iso:
        return default
    try:
        amount, unit, _ = parts_from_offset(iso)
    except ValueError:  # seconds from the API (PT30S): the form shows whole minutes, rounded up
        amount, unit, _ = parts_from_offset(f"PT{max(1, -(-_seconds(iso) // 60))}M")
    return str(amount), unit


def _seconds(iso: str) -> int:
    offset = parse_offset(iso)
    return offset.days * 86400 + offset.seconds


def _later(amount: str, unit: str, field: str, errors: dict[str, str]) -> str | None:
    try:
        value = numbers.ascii_int(amount, high=100_000)
        if value <= 0:
            raise ValueError
        return offset_from_parts(value, unit, "after")
    except ValueError:
        errors[field] = "give a whole number of minutes, hours, days or weeks, more than zero"
        return None


def quiz_input(form) -> tuple[dict[str, Any], dict[str, str]]:
    """StepInput keyword arguments for the quiz and follow-up fields of a StepForm, and timing problems."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if form.kind == "quiz":
        values["answer"] = numbers.parse_int(form.answer, high=1000)
        values["explain"] = form.explain
        values["retry_after"] = _later(form.retry_amount, form.retry_unit, "retry_after", errors)
    if form.follow_up == "on" and form.kind in FOLLOWED_KINDS:
        values["follow_up"] = {
            "after": _later(form.follow_amount, form.follow_unit, "follow_up.after", errors) or "",
            "body": form.follow_body,
            "channel": form.follow_channel,
            "subject": form.follow_subject if form.follow_channel == "email" else None,
        }
    return values, errors


def from_step(step) -> dict[str, str]:
    """The quiz and follow-up fields of the form, filled from a stored step."""
    fields = {"answer": "" if step.answer is None else str(step.answer), "explain": step.explain or ""}
    fields["retry_amount"], fields["retry_unit"] = duration_parts(step.retry_after, ("2", "days"))
    follow = step.follow_up or {}
    if follow:
        amount, unit = duration_parts(follow.get("after"), ("2", "days"))
        fields.update(
            follow_up="on",
            follow_amount=amount,
            follow_unit=unit,
            follow_body=follow.get("body", ""),
            follow_channel=follow.get("channel") or step.channel,
            follow_subject=follow.get("subject") or "",
        )
    return fields


def verdict_previews(explain: str | None, language: str = "en") -> list[dict[str, Any]]:
    """Both verdicts a learner of `language` can get back, each with its SMS segments."""
    shown = []
    for label, right in (("Right answer", True), ("Wrong answer", False)):
        text = quiz.verdict(right, explain, language)
        shown.append({"label": label, "text": text, "segments": templates.sms_segments(text)})
    return shown
