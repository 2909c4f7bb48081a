"""Opt-out and opt-in: by phone across trainers, idempotent, recorded, honoured by queued deliveries."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, OptOutEvent
from drip.services import accounts
from drip.services.inbound import optout
from tests.support.delivery_rows import make_delivery, make_learner, make_session

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def _events():
    return list(db.session.scalars(select(OptOutEvent).order_by(OptOutEvent.id)))


def test_stop_opts_the_number_out_for_every_trainer(app, trainer):
    other = accounts.create_trainer("other@example.com", "correct horse battery")
    mine = make_learner(trainer)
    theirs = make_learner(other, email="lee@work.example")
    unrelated = make_learner(trainer, name="Ann", phone="+15005550007", email="ann@example.com")

    changed = optout.opt_out_sms("+15005550006", source="sms_keyword", detail="STOP", now=NOW)

    assert {learner.id for learner in changed} == {mine.id, theirs.id}
    assert mine.sms_opted_out_at == NOW and theirs.sms_opted_out_at == NOW
    assert unrelated.sms_opted_out_at is None
    assert optout.sms_blocked(mine) and not optout.sms_blocked(unrelated)
    assert not optout.email_blocked(mine)
    assert [(e.learner_id, e.action, e.source, e.detail) for e in _events()] == [
        (mine.id, "opt_out", "sms_keyword", "STOP"),
        (theirs.id, "opt_out", "sms_keyword", "STOP"),
    ]


def test_repeated_stop_changes_nothing(app, trainer):
    learner = make_learner(trainer)
    optout.opt_out_sms("+15005550006", source="sms_keyword", now=NOW)
    assert optout.opt_out_sms("+15005550006", source="carrier", detail="21610") == []
    assert learner.sms_opted_out_at == NOW
    assert len(_events()) == 1


def test_start_opts_back_in_once(app, trainer):
    learner = make_learner(trainer)
    optout.opt_out_sms("+15005550006", source="sms_keyword", now=NOW)
    assert optout.opt_in_sms("+15005550006", source="sms_keyword") == [learner]
    assert optout.opt_in_sms("+15005550006", source="sms_keyword") == []
    assert not optout.sms_blocked(learner)
    assert [e.action for e in _events()] == ["opt_out", "opt_in"]


def test_unknown_number_stop_is_kept_once(app):
    optout.opt_out_sms("+15005550009", source="sms_keyword", now=NOW)
    optout.opt_out_sms("+15005550009", source="sms_keyword", now=NOW)
    assert [(e.learner_id, e.address, e.action) for e in _events()] == [(None, "+15005550009", "opt_out")]


def test_unsubscribe_by_address_reaches_every_learner_with_it(app, trainer):
    other = accounts.create_trainer("other@example.com", "correct horse battery")
    mine = make_learner(trainer, email="Lee@Example.com")
    theirs = make_learner(other, phone=None, email="lee@example.com")
    changed = optout.unsubscribe_email("LEE@example.com", source="bounce", detail="550 no such user", now=NOW)
    assert {learner.id for learner in changed} == {mine.id, theirs.id}
    assert optout.email_blocked(mine) and not optout.sms_blocked(mine)
    assert optout.unsubscribe_email("lee@example.com", source="spamreport") == []
    assert len(_events()) == 2


def test_unsubscribe_one_learner_then_resubscribe(app, trainer):
    other = accounts.create_trainer("other@example.com", "correct horse battery")
    mine = make_learner(trainer)
    theirs = make_learner(other)
    assert optout.unsubscribe_email(mine, source="unsubscribe_link", now=NOW) == [mine]
    assert optout.unsubscribe_email(mine, source="one_click") == []
    assert optout.email_blocked(mine) and not optout.email_blocked(theirs)
    assert optout.resubscribe_email(mine) is True
    assert optout.resubscribe_email(mine) is False
    assert [(e.action, e.source) for e in optout.history(mine)] == [
        ("opt_in", "unsubscribe_link"),
        ("opt_out", "unsubscribe_link"),
    ]


def test_help_text_uses_the_trainers_contact_line(app, trainer):
    learner = make_learner(trainer)
    assert "STOP" in optout.help_text(None) and "START" in optout.help_text(None)
    assert optout.help_text(learner) == optout.help_text(None)
    trainer.contact_line = "Questions? Tess on 555-0100."
    db.session.commit()
    assert optout.help_text(learner).startswith("Questions? Tess on 555-0100.")
    assert "STOP" in optout.help_text(learner)


def test_stop_skips_queued_sms_but_leaves_later_steps_for_start(app, trainer):
    learner = make_learner(trainer)
    training_session = make_session(trainer, channel="sms", steps=3)
    queued = make_delivery(learner, training_session, status="queued", step_index=0)
    scheduled = make_delivery(learner, training_session, status="scheduled", step_index=1)
    sent = make_delivery(learner, training_session, status="sent", step_index=2)

    optout.opt_out_sms("+15005550006", source="sms_keyword", now=NOW)

    db.session.expire_all()
    assert db.session.get(Delivery, queued.id).status == "skipped"
    assert db.session.get(Delivery, queued.id).error_code == optout.OPTED_OUT
    assert "replied STOP" in db.session.get(Delivery, queued.id).error_message
    assert db.session.get(Delivery, scheduled.id).status == "scheduled"
    assert db.session.get(Delivery, sent.id).status == "sent"


def test_the_reason_a_learner_is_blocked_is_in_the_trainers_words(app, trainer):
    learner = make_learner(trainer)
    assert optout.blocked_reason(learner, "sms") is None
    optout.opt_out_sms(learner.phone, source="sms_keyword", now=NOW)
    assert optout.blocked_reason(learner, "sms") == "Opted out of SMS (replied STOP) on 2026-03-02 09:30 UTC"


def test_email_unsubscribe_does_not_touch_sms_deliveries(app, trainer):
    learner = make_learner(trainer)
    sms = make_delivery(learner, status="queued")
    optout.unsubscribe_email(learner, source="unsubscribe_link")
    db.session.expire_all()
    assert db.session.get(Delivery, sms.id).status == "queued"
    assert optout.blocked_reason(learner, "sms") is None
    assert optout.blocked_reason(learner, "email").startswith("Unsubscribed from email (unsubscribe link)")
