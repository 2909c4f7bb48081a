"""A token sees only its trainer's data: each endpoint answers 404 for another trainer's ids."""

from __future__ import annotations

import pytest

from drip.extensions import db
from drip import models
from drip.models import Delivery, Enrollment, Learner, LiveQuestion, Reply, Sequence, TrainingSession
from drip.web.api.operations import OPERATIONS
from tests.web.test_api_support import api, other_api, stored_sequence, stored_session  # noqa: F401

VALID_SESSION = {
    "title": "Mine",
    "starts_at": "2030-03-12T09:30:00Z",
    "ends_at": "2030-03-12T11:00:00Z",
    "timezone": "UTC",
}

# Each operation that takes an id, with a body that would be accepted for the owner's own ids.
CALLS = {
    ("GET", "/sequences/<int:sequence_id>"): None,
    ("GET", "/sessions/<int:session_id>"): None,
    ("PATCH", "/sessions/<int:session_id>"): {"title": "Taken over"},
    ("POST", "/sessions/<int:session_id>/cancel"): None,
    ("POST", "/sessions/<int:session_id>/enrollments"): {"learners": [{"name": "Mallory", "phone": "+14155550199"}]},
    ("GET", "/sessions/<int:session_id>/enrollments"): None,
    ("GET", "/sessions/<int:session_id>/deliveries"): None,
    ("GET", "/sessions/<int:session_id>/questions"): None,
    ("GET", "/sessions/<int:session_id>/replies"): None,
    ("GET", "/sessions/<int:session_id>/poll-results"): None,
    ("GET", "/sessions/<int:session_id>/quiz-results"): None,
    ("GET", "/learners/<int:learner_id>/export"): None,
    ("DELETE", "/learners/<int:learner_id>"): None,
    ("PATCH", "/questions/<int:question_id>"): {"kind": "live_question"},
    ("PATCH", "/replies/<int:reply_id>"): {"kind": "unclassified"},
    ("GET", "/sessions/<int:session_id>/engagement"): None,
    ("POST", "/replies/<int:reply_id>/testimonial"): None,
    ("DELETE", "/media/<int:media_id>"): None,
}


def test_every_operation_with_an_id_is_checked_here():
    assert {(op.method, op.rule) for op in OPERATIONS if op.path_params} == set(CALLS)


@pytest.fixture()
def theirs(other_api):
    """Another trainer's sequence and session, with one learner enrolled."""
    sequence = stored_sequence(other_api.trainer)
    ts = stored_session(other_api.trainer, sequences=[sequence])
    enrolled = other_api.post(
        f"/sessions/{ts.id}/enrollments", json={"learners": [{"name": "Vic", "phone": "+14155550100"}]}
    )
    assert enrolled.status_code == 201
    learner_id = db.session.scalar(db.select(Learner.id).where(Learner.trainer_id == other_api.trainer.id))
    question = LiveQuestion(session_id=ts.id, body="Theirs?")
    vic = db.session.scalars(db.select(Learner).where(Learner.trainer_id == other_api.trainer.id)).one()
    # A practice report of theirs: it can be re-filed, shared and asked about (by its owner only).
    reply = Reply(
        trainer_id=other_api.trainer.id,
        session_id=ts.id,
        learner_id=vic.id,
        kind="practice_report",
        channel="sms",
        body="It went well.",
    )
    # An unused picture of theirs in their library: only its owner may delete it.
    picture = models.MediaItem(
        trainer_id=other_api.trainer.id,
        token="their-picture-token",
        content_type="image/png",
        filename="theirs.png",
        size=4,
        data=b"\x89PNG",
    )
    db.session.add_all([question, reply, picture])
    db.session.commit()
    return {
        "media_id": picture.id,
        "sequence_id": sequence.id,
        "session_id": ts.id,
        "question_id": question.id,
        "reply_id": reply.id,
        "learner_id": learner_id,
    }


def _snapshot():
    return {
        "sessions": [(t.id, t.title, t.status) for t in db.session.scalars(db.select(TrainingSession))],
        "learners": [(x.id, x.name) for x in db.session.scalars(db.select(Learner))],
        "enrollments": [e.id for e in db.session.scalars(db.select(Enrollment))],
        "deliveries": [(d.id, d.status) for d in db.session.scalars(db.select(Delivery))],
        "sequences": [s.id for s in db.session.scalars(db.select(Sequence))],
        "questions": [q.id for q in db.session.scalars(db.select(LiveQuestion))],
        "replies": [(r.id, r.kind, r.shared) for r in db.session.scalars(db.select(Reply))],
        "testimonials": db.session.scalar(db.select(db.func.count()).select_from(models.Testimonial)),
        "media": [m.id for m in db.session.scalars(db.select(models.MediaItem))],
    }


@pytest.mark.parametrize("method, rule", sorted(CALLS))
def test_another_trainers_id_is_not_found(api, other_api, theirs, method, rule):
    path = rule
    for name, value in theirs.items():
        path = path.replace(f"<int:{name}>", str(value))
    before = _snapshot()
    response = api._call(method, path, json=CALLS[(method, rule)])
    assert response.status_code == 404, response.get_json()
    assert set(response.get_json()) == {"error", "details"}
    db.session.expire_all()
    assert _snapshot() == before
    # The owner gets the same call answered.
    assert other_api._call(method, path, json=CALLS[(method, rule)]).status_code < 300


def test_sessions_cannot_use_another_trainers_sequence(api, other_api, theirs):
    assert api.post("/sessions", json={**VALID_SESSION, "sequence_ids": [theirs["sequence_id"]]}).status_code == 404
    mine = api.post("/sessions", json=VALID_SESSION).get_json()
    patched = api.patch(f"/sessions/{mine['id']}", json={"sequence_ids": [theirs["sequence_id"]]})
    assert patched.status_code == 404
    assert api.get(f"/sessions/{mine['id']}").get_json()["sequence_ids"] == []


def test_lists_hold_only_the_tokens_trainers_rows(api, other_api, theirs):
    assert api.get("/sequences").get_json()["items"] == []
    assert api.get("/sessions").get_json()["items"] == []
    assert len(other_api.get("/sessions").get_json()["items"]) == 1


def test_a_step_filter_with_another_trainers_step_finds_nothing(api, theirs, other_api):
    mine = stored_session(api.trainer)
    step_id = db.session.get(Sequence, theirs["sequence_id"]).steps[0].id
    assert api.get(f"/sessions/{mine.id}/deliveries?step_id={step_id}").get_json()["items"] == []
