"""A channel is one module and one catalog row: a test-only "pager" channel, added through the same
seam as SMS and email (domain/catalog.add_channel + channels/registry.register), goes through the
dispatcher and the send job, and the opt-out and send-window rules apply to it unchanged."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from rq.job import Job
from sqlalchemy import select

from drip.channels import registry
from drip.channels.base import SendResult
from drip.domain import catalog
from drip.extensions import db, redis_store
from drip.models import Delivery, Learner
from drip.queues import send_queue
from drip.services.delivery.dispatch import dispatch_due
from drip.services.inbound import optout
from drip.services.programs.enrolment import enrol
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session

STARTS = datetime(2030, 3, 5, 18, 0, tzinfo=timezone.utc)
WINDOW = {"start": "08:00", "end": "20:00"}
PAGER = catalog.Channel(
    "pager", "Pager", address_field="phone", opted_out_field="sms_opted_out_at", missing_address="no pager number"
)


class PagerChannel:
    """The whole channel module: takes a message, says it took it."""

    name = "pager"

    def __init__(self):
        self.sent = []

    def send(self, message) -> SendResult:
        """Keep the message, as a provider would take it."""
        self.sent.append(message)
        return SendResult(provider_message_id=f"PG{len(self.sent)}", status="sent")


@pytest.fixture()
def pager():
    channel = PagerChannel()
    catalog.add_channel(PAGER)
    registry.register("pager", lambda config: channel)
    try:
        yield channel
    finally:
        registry.unregister("pager")
        catalog.remove_channel("pager")


def _run_send_jobs() -> int:
    """Perform every send job the dispatcher queued, in this process, as a worker would."""
    job_ids = send_queue().job_ids
    for job_id in job_ids:
        Job.fetch(job_id, connection=redis_store.connection).perform()
    return len(job_ids)


def test_a_registered_channel_sends_through_the_dispatcher_with_opt_out_and_window(app, trainer, pager):
    sequence = create_sequence(
        trainer,
        name="Pager nudges",
        send_window=WINDOW,
        steps=[StepInput("reminder", "pager", "end", "PT2H", "Hi {{ first_name }}, practise today.")],
    )
    ts = create_session(
        trainer,
        title="Feedback",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=1),
        timezone="UTC",
        sequence_ids=[sequence.id],
        now=STARTS - timedelta(days=1),
    )
    people = [
        Learner(trainer_id=trainer.id, name=name, phone=phone, timezone="UTC")
        for name, phone in (("Ada Pager", "+15005550101"), ("Bo Stopped", "+15005550102"), ("Cy None", None))
    ]
    db.session.add_all(people)
    db.session.commit()
    enrol(ts, people, now=STARTS - timedelta(days=1))
    optout.opt_out_sms("+15005550102", source="sms_keyword", now=STARTS - timedelta(hours=3))
    db.session.commit()

    raw = STARTS + timedelta(hours=3)  # end + 2 h = 21:00 UTC, after the window closes at 20:00
    due = {d.learner_id: d.due_at for d in db.session.scalars(select(Delivery))}
    assert len(set(due.values())) == 1
    moved = next(iter(due.values()))
    assert moved > raw and time(8) <= moved.time() < time(20)  # the window holds it to the next morning

    assert dispatch_due(moved - timedelta(seconds=1)) == 0  # nothing goes early
    assert dispatch_due(moved + timedelta(seconds=1)) == 3
    assert _run_send_jobs() >= 1
    db.session.expire_all()
    rows = {d.learner_id: d for d in db.session.scalars(select(Delivery))}
    ada, bo, cy = (rows[p.id] for p in people)
    assert (ada.status, ada.provider_message_id, ada.channel) == ("sent", "PG1", "pager")
    assert [(m.channel, m.to, m.body) for m in pager.sent] == [("pager", "+15005550101", "Hi Ada, practise today.")]
    assert (bo.status, bo.error_code) == ("skipped", optout.OPTED_OUT)  # STOP by phone stops this channel too
    assert (cy.status, cy.error_message) == ("skipped", "no pager number")


def test_an_unknown_channel_is_refused_when_the_step_is_written(app, trainer):
    from drip.services.programs.sequences import SequenceInvalid

    with pytest.raises(SequenceInvalid) as caught:
        create_sequence(trainer, name="Nope", steps=[StepInput("reminder", "pager", "end", "PT2H", "Hi")])
    assert "must be one of sms, email" in caught.value.errors["steps[0].channel"]
