"""Texts in the learner's language: PARAR stops later texts as STOP does, choices in their words and
their translation's texts are votes and quiz answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drip.extensions import db
from drip.models import Delivery, Learner, OptOutEvent, Reply, utcnow
from drip.services.inbound import optout
from drip.services.inbound.receive import receive_sms
from tests.support.inbound_factory import make_learner, make_session, make_step, sent_delivery, sms_form


def _spanish(trainer) -> Learner:
    learner = make_learner(trainer, "Lucía Pérez")
    learner.language = "es"
    db.session.commit()
    return learner


@pytest.mark.parametrize("word", ["PARAR", "Baja", "ARRÊT", "arret", "STOPP", "Abmelden", "SAIR"])
def test_each_language_s_opt_out_word_stops_later_texts_as_stop_does(app, trainer, word):
    lucia = _spanish(trainer)
    ts = make_session(trainer, starts_at=utcnow() + timedelta(days=3))
    queued = sent_delivery(ts, lucia, make_step(trainer, "reminder"))
    queued.status, queued.sent_at, queued.due_at = "queued", None, utcnow()
    db.session.commit()
    outcome = receive_sms(sms_form(word))
    assert outcome.kind == "opt_out"
    learner = db.session.get(Learner, lucia.id)
    assert learner.sms_opted_out_at is not None and optout.sms_blocked(learner)
    assert db.session.get(Delivery, queued.id).status == "skipped"  # a worker picking it up sends nothing
    assert [(e.action, e.detail) for e in db.session.query(OptOutEvent)] == [("opt_out", word)]
    assert db.session.query(Reply).count() == 0


def test_a_spanish_learner_votes_in_her_words_and_with_her_translation_s_text(app, trainer):
    lucia = _spanish(trainer)
    ts = make_session(trainer, starts_at=utcnow() + timedelta(days=3))
    step = make_step(trainer, "poll", choices=["Giving feedback", "Receiving it", "Both"])
    step.translations = {"es": {"body": "¿Qué?", "choices": ["Dar feedback", "Recibirlo", "Ambas"]}}
    db.session.commit()
    sent_delivery(ts, lucia, step)
    first = db.session.get(Reply, receive_sms(sms_form("opción 2")).reply_id)
    assert (first.kind, first.choice_index) == ("poll_vote", 1)
    second = db.session.get(Reply, receive_sms(sms_form("Ambas")).reply_id)
    assert (second.kind, second.choice_index) == ("poll_vote", 2)
