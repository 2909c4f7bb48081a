"""Finding 3: consent was read from the first word of any message, before routing, for 14 days.

"OK, but please do NOT share my words with anyone" recorded consent, and a "Yes" poll vote would
have too. Now only a whole-message yes in the learner's language (or English) consents, NO refuses,
and a poll or quiz choice stays a vote.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from drip.domain import consent
from drip.extensions import db
from drip import models
from drip.models import InboundMessage, OutboxMessage, Reply, utcnow
from drip.services.replies import testimonials
from tests.support.inbound_factory import make_learner, make_reply, make_session, make_step, post_sms, sent_delivery


@pytest.mark.parametrize(
    ("body", "language", "expected"),
    [
        ("OK, but please do NOT share my words with anyone", "en", None),
        ("OK, here's my answer: it went well", "en", None),
        ("yes", "en", "yes"),
        ("Yes please!", None, "yes"),
        ("  OK. ", "en", "yes"),
        ("Sí", "es", "yes"),
        ("si por favor", "es-MX", "yes"),
        ("Oui", "fr", "yes"),
        ("JA", "de", "yes"),
        ("Sim", "pt-BR", "yes"),
        ("yes", "es", "yes"),  # English is understood from everyone
        ("NO", "en", "no"),
        ("Não", "pt", "no"),
        ("no way, share it!", "en", None),
        ("", "en", None),
    ],
)
def test_only_a_whole_message_yes_or_no_is_an_answer(body, language, expected):
    assert consent.answer(body, language) == expected


def test_the_ask_names_the_words_to_reply_in_the_learners_language():
    assert "Reply YES to agree or NO to decline" in consent.ask("en")
    assert "SÍ" in consent.ask("es") and "NO" in consent.ask("es")
    assert "OUI" in consent.ask("fr-CA") and "JA" in consent.ask("de") and "SIM" in consent.ask("pt")
    assert consent.ask("it") == consent.ask("en")  # a language Drip does not write in reads English


def _asked(trainer, *, language=None, phone="+14155550101"):
    earlier = make_session(trainer, starts_at=utcnow() - timedelta(days=3), title="Spring cohort")
    learner = make_learner(trainer, "Ada Lovelace", phone=phone)
    learner.language = language
    practice = make_step(trainer, "practice")
    delivery = sent_delivery(earlier, learner, practice, sent_at=utcnow() - timedelta(days=2))
    reply = make_reply(earlier, learner, practice, "Tried it with my team", delivery_id=delivery.id)
    return learner, testimonials.ask(trainer, reply)


def _status(row) -> str:
    db.session.expire_all()
    return db.session.get(models.Testimonial, row.id).status


def test_a_sentence_that_starts_with_ok_does_not_consent_and_is_routed_as_usual(app, client, trainer):
    learner, asked = _asked(trainer)
    post_sms(client, app, "OK, but please do NOT share my words with anyone")
    assert _status(asked) == "asked"
    routed = db.session.scalar(select(InboundMessage.routed_as).order_by(InboundMessage.id.desc()))
    assert routed not in ("testimonial_consent", "testimonial_declined")
    post_sms(client, app, "yes")
    assert _status(asked) == "consented"


def test_si_from_a_spanish_learner_consents_and_is_thanked_in_spanish(app, client, trainer):
    learner, asked = _asked(trainer, language="es")
    question = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == learner.phone).order_by(OutboxMessage.id)
    ).all()
    assert "Responde SÍ o NO" in question[-1]
    post_sms(client, app, "Sí")
    assert _status(asked) == "consented"
    sent = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == learner.phone).order_by(OutboxMessage.id)
    ).all()
    assert sent[-1] == consent.thanks("es")


def test_no_records_a_refusal_and_the_quote_never_joins_the_pool(app, client, trainer):
    learner, asked = _asked(trainer)
    post_sms(client, app, "No thanks")
    assert _status(asked) == "declined"
    sent = db.session.scalars(
        select(OutboxMessage.body).where(OutboxMessage.to_address == learner.phone).order_by(OutboxMessage.id)
    ).all()
    assert sent[-1] == consent.declined("en")
    post_sms(client, app, "yes")  # the question was answered: a later yes changes nothing
    assert _status(asked) == "declined"


def test_a_yes_poll_vote_is_a_vote_not_a_consent(app, client, trainer):
    learner, asked = _asked(trainer)
    live = make_session(trainer, starts_at=utcnow() + timedelta(days=2), title="Next one")
    poll = make_step(trainer, "poll", choices=["Yes", "No"], body="Coming?")
    sent_delivery(live, learner, poll, sent_at=utcnow() - timedelta(minutes=5))
    post_sms(client, app, "Yes")
    assert _status(asked) == "asked"
    vote = db.session.scalar(select(Reply).where(Reply.kind == "poll_vote"))
    assert vote is not None and vote.choice_index == 0 and vote.step_id == poll.id
