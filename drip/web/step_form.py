"""The step form in the trainer's words ("7 days before start at 09:00"), and the test send."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Mapping

from flask import current_app

from drip.channels.base import SendError
from drip.domain import catalog
from drip.domain.durations import offset_from_parts, parts_from_offset
from drip.models import Learner, Step, Trainer
from drip.models.learners import new_unsubscribe_token
from drip.services.learners.upsert import normalise_phone
from drip.services.delivery.send import SendRefused, send_one_off
from drip.services.programs.step_fields import StepInput, fields_of
from drip.web import quiz_form

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
            subject=step.subject or "",
            choices="\n".join(step.choices or []),
            **quiz_form.from_step(step),
            source="questions" if step.digest_source == "questions" else str(step.source_step_id or ""),
        )

    @classmethod
    def from_request(cls, form: Mapping[str, str]) -> "StepForm":
        """The form as submitted; missing fields keep their defaults."""
        defaults = asdict(cls())
        return cls(**{key: str(form.get(key, default))[:20_000] for key, default in defaults.items()})

    def to_input(self) -> tuple[StepInput | None, dict[str, str]]:
        """The StepInput this form describes, or the timing problems that prevent one."""
        errors: dict[str, str] = {}
        offset = ""
        try:
            amount = int(self.amount.strip())
            offset = offset_from_parts(amount, self.unit, self.direction)
        except ValueError as error:
            errors["offset"] = (
                "give a whole number of minutes, hours, days or weeks"
                if "invalid literal" in str(error)
                else str(error)
            )
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
            local_time=self.at.strip() or None,
            subject=self.subject if self.channel == "email" else None,
            choices=choices,
            source=self._source(),
            **extra,
        )
        return item, {}

    def _source(self) -> int | str | None:
        if self.kind != "digest":
            return None
        value = self.source.strip()
        return int(value) if value.isdigit() and len(value) < 10 else (value or None)


def test_send(trainer: Trainer, step: Step, rendered: dict, phone: str) -> tuple[bool, str]:
    """Send a rendered step to the trainer (email to their login, SMS to the phone they typed)."""
    # A learner that is never stored: the trainer as the recipient of their own step.
    me = Learner(
        trainer_id=trainer.id,
        name=trainer.name or trainer.email,
        email=trainer.email,
        unsubscribe_token=new_unsubscribe_token(),
    )
    if step.channel == "sms":
        try:
            me.phone = normalise_phone(phone.strip(), current_app.config["DEFAULT_REGION"])
        except ValueError as error:
            return False, f"No test sent: {error}."
    try:
        send_one_off(trainer, me, step.channel, rendered["body"], subject=rendered.get("subject"))
    except (SendRefused, SendError, ValueError) as error:
        return False, f"The test was not sent: {error}"
    return True, f"Sent a test to {me.phone if step.channel == 'sms' else me.email}."
