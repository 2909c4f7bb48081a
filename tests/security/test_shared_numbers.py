"""A number shared by two trainers' learners reaches the trainer it answers, or both (finding 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from drip.extensions import db
from drip.models import InboundMessage, LiveQuestion, Reply, utcnow
from drip.services import accounts
from drip.services.inbound.receive import receive_sms
from tests.support.inbound_factory import enrol, make_learner, make_session, make_step, sent_delivery, sms_form


@pytest.fixture()
def shared(app, trainer):
    """Trainer A's learner and trainer B's learner share one phone number."""
    other = accounts.create_trainer("other@example.com", "another long password", "Olga Other")
    return trainer, other, make_learner(trainer, "Ann's learner"), make_learner(other, "Bob's learner")


def _filed() -> set[tuple[int, str]]:
    rows = [(r.trainer_id, r.kind) for r in db.session.scalars(select(Reply))]
    rows += [(q.learner.trainer_id, "live_question") for q in db.session.scalars(select(LiveQuestion))]
    return set(rows)


def test_a_text_answering_one_trainers_step_reaches_only_that_trainer(shared):
    a, b, _, bobs = shared
    # B sent a reminder more recently: under the old latest-delivery heuristic B pulled the text.
    recent = make_session(b, starts_at=utcnow() - timedelta(hours=3))
    sent_delivery(recent, bobs, make_step(b, "reminder"), sent_at=utcnow() - timedelta(minutes=30))
    ts = make_session(a, starts_at=utcnow() - timedelta(days=3))
    sent_delivery(ts, shared[2], make_step(a, "practice"), sent_at=utcnow() - timedelta(days=2))
    receive_sms(sms_form("I tried it with my team"))
    assert _filed() == {(a.id, "practice_report")}
    assert [m.trainer_id for m in db.session.scalars(select(InboundMessage))] == [a.id]


def test_a_live_session_decides(shared):
    a, b, annes, bobs = shared
    live = make_session(b)
    enrol(live, bobs)
    receive_sms(sms_form("What about remote teams?"))
    assert _filed() == {(b.id, "live_question")}


def test_when_neither_decides_both_trainers_get_it(shared):
    a, b, _, _ = shared
    outcome = receive_sms(sms_form("hello?"))
    assert _filed() == {(a.id, "unclassified"), (b.id, "unclassified")}
    assert {m.trainer_id for m in db.session.scalars(select(InboundMessage))} == {a.id, b.id}
    # A repeat of the same Twilio message changes nothing for either.
    again = receive_sms(sms_form("hello?", sid=db.session.get(InboundMessage, outcome.inbound_id).provider_message_id))
    assert again.duplicate and db.session.query(Reply).count() == 2


def test_stop_from_a_shared_number_is_applied_once(shared):
    receive_sms(sms_form("STOP"))
    assert db.session.query(InboundMessage).count() == 1
