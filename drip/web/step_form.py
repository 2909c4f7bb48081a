"""The step form in the trainer's words ("7 days before start at 09:00"), and the test send."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping

from flask import current_app, url_for
from markupsafe import Markup

from drip.domain import numbers
from drip.channels.base import SendError
from drip.domain import catalog
from drip.domain.durations import offset_from_parts, parts_from_offset
from drip.models import Step, Trainer
from drip.services import test_sends
from drip.services.delivery.send import SendRefused, send_one_off
from drip.services.programs.step_fields import StepInput, fields_of
from drip.web import quiz_form, translations_form

UNITS = ("minutes", "hours", "days", "weeks")
KIND_LABELS = {kind.name: kind.label for kind in catalog.STEP_KINDS if kind.authorable}
# The authored fields the form holds as they are stored; the others have widgets of their own (the
# timing, the time of day, the subject, the choices, the quiz and follow-up parts, the source).
AS_TYPED = ("kind", "channel", "anchor", "body", "if_late")


@dataclass
class StepForm:
    """What the step form shows and submits, all as text."""

    amount: str = "1"
    unit: str = "days"
    direction: str = "before"
    anchor: str = "start"
    at: str = ""
    kind: str = "info"
    label: str = ""
    channel: str = "sms"
    subject: str = ""
    body: str = ""
    choices: str = ""
    if_late: str = "skip"
    answer: str = ""
    explain: str = ""
    retry_amount: str = "2"
    retry_unit: str = "days"
    follow_up: str = ""  # "on" when the step has a follow-up
    follow_amount: str = "2"
    follow_unit: str = "days"
    follow_body: str = ""
    follow_channel: str = "sms"
    follow_subject: str = ""
    source: str = ""  # digests: a step id of this sequence, or "questions"
    # The language tabs: {"es": {"body": …, "choices": "one per line", …}} (web/translations_form.py).
    translations: dict[str, dict[str, str]] = field(default_factory=dict)
    image_id: str = ""  # a picture of the media library, by id

    @classmethod
    def blank(cls) -> "StepForm":
        """An empty form for a new step."""
        return cls()

    @classmethod
    def from_step(cls, step: Step) -> "StepForm":
        """The form filled from a stored step."""
        amount, unit, direction = parts_from_offset(step.offset)
        if unit == "weeks":  # trainers say "7 days before", as the step list does
            amount, unit = amount * 7, "days"
        return cls(
            amount=str(amount),
            unit=unit,
            direction=direction,
            **fields_of(step, AS_TYPED),
            at=f"{step.local_time:%H:%M}" if step.local_time else "",
            label=step.label or "",
            subject=step.subject or "",
            choices="\n".join(step.choices or []),
            **quiz_form.from_step(step),
            source="questions" if step.digest_source == "questions" else str(step.source_step_id or ""),
            translations=translations_form.from_step(step.translations),
            image_id=str(step.image_id or ""),
        )

    @classmethod
    def from_request(cls, form: Mapping[str, str]) -> "StepForm":
        """The form as submitted; missing fields keep their defaults."""
        defaults = asdict(cls())
        defaults.pop("translations")
        typed = {key: str(form.get(key, default))[:20_000] for key, default in defaults.items()}
        return cls(**typed, translations=translations_form.from_request(form))

    def to_input(self) -> tuple[StepInput | None, dict[str, str]]:
        """The StepInput this form describes, or the timing problems that prevent one."""
        errors: dict[str, str] = {}
        offset = ""
        # ASCII digits (a sign allowed, so a negative amount gets the schedule's own reason), bounded.
        amount = numbers.parse_int(self.amount.strip().removeprefix("-"), high=100_000)
        if amount is None:
            errors["offset"] = "give a whole number of minutes, hours, days or weeks"
        else:
            try:
                sign = -1 if self.amount.strip().startswith("-") else 1
                offset = offset_from_parts(sign * amount, self.unit, self.direction)
            except ValueError as error:
                errors["offset"] = str(error)
        extra, extra_errors = quiz_form.quiz_input(self)
        errors.update(extra_errors)
        if errors:
            return None, errors
        choices = (
            [line.strip() for line in self.choices.splitlines() if line.strip()]
            if self.kind in catalog.choice_step_kinds()
            else None
        )
        item = StepInput(
            **fields_of(self, AS_TYPED),
            offset=offset,
            label=self.label,
            local_time=self.at.strip() or None,
            subject=self.subject if self.channel == "email" else None,
            choices=choices,
            source=self._source(),
            translations=translations_form.to_input(self.translations, email=self.channel == "email"),
            image_id=numbers.parse_id(self.image_id),
            **extra,
        )
        return item, {}

    def _source(self) -> int | str | None:
        if self.kind != "digest":
            return None
        value = self.source.strip()
        index = numbers.parse_int(value, high=1000)
        return index if index is not None else (value or None)


def test_send(trainer: Trainer, step: Step, rendered: dict) -> tuple[bool, str]:
    """Send a rendered step to the trainer: email to their login, SMS to the phone saved as their own."""
    try:
        me = test_sends.own_recipient(trainer, step.channel)
    except test_sends.NotYours as error:
        return False, f"No test sent: {error}."
    try:
        result = send_one_off(trainer, me, step.channel, rendered["body"], subject=rendered.get("subject"))
    except (SendRefused, SendError, ValueError) as error:
        return False, f"The test was not sent: {error}"
    sent = f"Sent a test to {me.phone if step.channel == 'sms' else me.email}."
    if current_app.config["SMS_PROVIDER" if step.channel == "sms" else "EMAIL_PROVIDER"] != "outbox":
        return True, sent
    # Demo mode: nothing leaves this machine; the Outbox shows the test as it would arrive.
    outbox = url_for("outbox.index", channel=step.channel, _anchor=result.provider_message_id)
    return True, Markup('{} <a href="{}">See it in the Outbox</a>.').format(sent, outbox)
