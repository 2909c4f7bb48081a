"""GET deliveries, questions, replies and poll results of a session."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drip.extensions import db
from drip.models import Delivery, Learner, LiveQuestion, Reply
from tests.web.test_api_support import api, stored_sequence, stored_session  # noqa: F401

T0 = datetime(2030, 1, 1, 12, tzinfo=timezone.utc)


@pytest.fixture()
def enrolled(api):
    """A session with a poll + reminder sequence and three learners enrolled through the API."""
    sequence = stored_sequence(api.trainer)
    ts = stored_session(api.trainer, sequences=[sequence])
    learners = [{"name": f"Learner {n}", "phone": f"+1415555010{n}", "external_id": f"x{n}"} for n in range(3)]
    assert api.post(f"/sessions/{ts.id}/enrollments", json={"learners": learners}).status_code == 201
    return ts, sequence


def test_deliveries_list_every_scheduled_message(api, enrolled):
    ts, sequence = enrolled
    sent = db.session.scalars(db.select(Delivery).order_by(Delivery.id)).first()
    sent.status, sent.sent_at, sent.provider_message_id = "failed", T0, "SM123"
    sent.error_code, sent.error_message = "30003", "Unreachable destination handset"
    db.session.commit()
    page = api.get(f"/sessions/{ts.id}/deliveries").get_json()
    assert len(page["items"]) == 6 and page["next"] is None
    assert [d["due_at"] for d in page["items"]] == sorted(d["due_at"] for d in page["items"])
    failed = next(d for d in page["items"] if d["id"] == sent.id)
    assert failed["status"] == "failed"
    assert failed["sent_at"] == "2030-01-01T12:00:00Z"
    assert failed["provider_message_id"] == "SM123"
    assert failed["error"] == {"code": "30003", "message": "Unreachable destination handset"}
    assert failed["learner"]["external_id"].startswith("x")
    assert failed["step"]["sequence_id"] == sequence.id
    assert failed["channel"] == "sms"
    others = [d for d in page["items"] if d["id"] != sent.id]
    assert {(d["status"], d["error"], d["sent_at"]) for d in others} == {("scheduled", None, None)}


def test_deliveries_filter_by_status_and_step(api, enrolled):
    ts, sequence = enrolled
    poll = sequence.steps[0]
    by_step = api.get(f"/sessions/{ts.id}/deliveries?step_id={poll.id}").get_json()["items"]
    assert len(by_step) == 3 and {d["step"]["kind"] for d in by_step} == {"poll"}
    assert api.get(f"/sessions/{ts.id}/deliveries?status=sent").get_json()["items"] == []
    assert len(api.get(f"/sessions/{ts.id}/deliveries?status=scheduled").get_json()["items"]) == 6
    bad = api.get(f"/sessions/{ts.id}/deliveries?status=lost")
    assert bad.status_code == 422 and bad.get_json()["details"][0]["field"] == "status"


def test_deliveries_page_through_in_due_order(api, enrolled):
    ts, _ = enrolled
    seen, path = [], f"/sessions/{ts.id}/deliveries?limit=4&status=scheduled"
    while path:
        page = api.get(path).get_json()
        seen += [d["id"] for d in page["items"]]
        assert "status=scheduled" in (page["next"] or "status=scheduled")  # filters carry over
        path = page["next"] and page["next"].removeprefix("http://127.0.0.1:5000/api/v1")
    everything = api.get(f"/sessions/{ts.id}/deliveries?limit=200").get_json()["items"]
    assert seen == [d["id"] for d in everything]


def _learner(api) -> Learner:
    return db.session.scalars(db.select(Learner).where(Learner.trainer_id == api.trainer.id)).first()


def test_questions_in_the_order_they_came(api, enrolled):
    ts, _ = enrolled
    learner = _learner(api)
    for n, body in enumerate(["Can we get the slides?", "What about remote teams?"]):
        db.session.add(
            LiveQuestion(
                session_id=ts.id,
                learner_id=learner.id if n == 0 else None,
                body=body,
                starred=n == 1,
                created_at=T0 + timedelta(minutes=n),
            )
        )
    db.session.commit()
    items = api.get(f"/sessions/{ts.id}/questions").get_json()["items"]
    assert [(q["body"], q["starred"], q["learner"] and q["learner"]["id"]) for q in items] == [
        ("Can we get the slides?", False, learner.id),
        ("What about remote teams?", True, None),
    ]
    assert items[0]["created_at"] == "2030-01-01T12:00:00Z"


def _reply(ts, learner, kind, *, step=None, choice=None, minute=0, body="answer"):
    db.session.add(
        Reply(
            trainer_id=ts.trainer_id,
            session_id=ts.id,
            learner_id=learner.id if learner else None,
            step_id=step.id if step else None,
            kind=kind,
            channel="sms",
            body=body,
            choice_index=choice,
            created_at=T0 + timedelta(minutes=minute),
        )
    )


def test_replies_exclude_the_trainers_and_filter_by_kind(api, enrolled):
    ts, sequence = enrolled
    learner = _learner(api)
    for minute, kind in enumerate(
        ["practice_report", "discussion_reply", "poll_vote", "unclassified", "trainer_reply"]
    ):
        _reply(ts, learner, kind, step=sequence.steps[0], minute=minute)
    db.session.commit()
    kinds = [r["kind"] for r in api.get(f"/sessions/{ts.id}/replies").get_json()["items"]]
    assert kinds == ["practice_report", "discussion_reply", "poll_vote", "unclassified"]
    practice = api.get(f"/sessions/{ts.id}/replies?kind=practice_report").get_json()["items"]
    assert [(r["kind"], r["learner"]["id"], r["step_id"]) for r in practice] == [
        ("practice_report", learner.id, sequence.steps[0].id)
    ]
    assert api.get(f"/sessions/{ts.id}/replies?kind=trainer_reply").status_code == 422


def test_poll_results_count_each_learners_latest_vote(api, enrolled):
    ts, sequence = enrolled
    poll = sequence.steps[0]
    ada, bo, cy = db.session.scalars(db.select(Learner).order_by(Learner.id)).all()
    _reply(ts, ada, "poll_vote", step=poll, choice=0, minute=1)
    _reply(ts, ada, "poll_vote", step=poll, choice=1, minute=2)  # changed her mind
    _reply(ts, bo, "poll_vote", step=poll, choice=1, minute=3)
    _reply(ts, cy, "poll_vote", step=poll, choice=None, minute=4, body="both!")
    db.session.commit()
    results = api.get(f"/sessions/{ts.id}/poll-results").get_json()
    assert results["session_id"] == ts.id
    (tally,) = results["polls"]
    assert tally["step_id"] == poll.id
    assert tally["choices"] == [
        {"index": 0, "number": 1, "text": "Tea", "votes": 0},
        {"index": 1, "number": 2, "text": "Coffee", "votes": 2},
    ]
    assert (tally["votes"], tally["unmatched"]) == (2, 1)


def test_poll_results_of_a_session_without_polls_are_empty(api):
    ts = stored_session(api.trainer, sequences=[stored_sequence(api.trainer, kinds=("reminder",))])
    assert api.get(f"/sessions/{ts.id}/poll-results").get_json() == {"session_id": ts.id, "polls": []}
