"""Two trainers on one deployment, each with one of everything an admin route can name by id."""

from __future__ import annotations

from dataclasses import dataclass

from drip.extensions import db
from drip.models import LiveQuestion, Trainer
from drip.services import accounts
from drip.services.learners import imports as learner_import
from drip.services.accounts import create_token
from drip.services.media import library
from tests.support.images import png
from tests.support.inbound_factory import make_learner, make_reply, make_session, make_step, sent_delivery

PASSWORD = "correct horse battery"


@dataclass
class Holdings:
    """One trainer and the ids of their things, by the URL argument that names them."""

    trainer: Trainer
    email: str
    token: str
    ids: dict[str, object]


def holdings(email: str, name: str, phone: str) -> Holdings:
    """A trainer with a session, learner, sequence and step, a reply, a live question, a token and an upload."""
    trainer = accounts.create_trainer(email, PASSWORD, name)
    ts = make_session(trainer, title=f"{name}'s workshop")
    learner = make_learner(trainer, f"Learner of {name}", phone=phone, email=f"learner.{email}")
    step = make_step(trainer, "practice")
    delivery = sent_delivery(ts, learner, step)
    reply = make_reply(ts, learner, step, "It went well", delivery_id=delivery.id)
    question = LiveQuestion(session_id=ts.id, learner_id=learner.id, body="What about remote teams?")
    db.session.add(question)
    db.session.commit()
    token = create_token(trainer, "probe")
    picture = library.add_to_library(trainer.id, png(), "picture.png")
    upload = learner_import.keep_upload(trainer, "name,phone\nZed,+14155550177\n", filename="x.csv")
    ids = {
        "session_id": ts.id,
        "learner_id": learner.id,
        "sequence_id": step.sequence_id,
        "step_id": step.id,
        "reply_id": reply.id,
        "question_id": question.id,
        "token_id": trainer.tokens[0].id,
        "upload_id": upload.id,
        "channel": "sms",
        "what": "reply",  # /refile/<what>/<item_id>: a reply, named by item_id
        "item_id": reply.id,
        "media_id": picture.id,
    }
    return Holdings(trainer, email, token, ids)
