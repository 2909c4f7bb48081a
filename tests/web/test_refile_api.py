"""PATCH /api/v1/questions/{id} and /replies/{id} with {kind}: the text moves, tallies and the board follow."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from drip.extensions import db, redis_store
from drip.models import LiveQuestion, Refiling, Reply, utcnow
from drip.services.board import board
from tests.support.inbound_factory import sms_step, enrol, make_learner, post_sms, session_with_steps
from tests.web.test_api_support import api, other_api  # noqa: F401  (fixtures)


@pytest.fixture()
def live(trainer):
    """A live session whose sequence has a poll and a practice step, with one enrolled learner."""
    poll = sms_step("poll", "PT20M", "Which? 1 or 2", choices=["Ask", "Listen"])
    practice = sms_step("practice", "P1D", "Try it", anchor="end")
    ts = session_with_steps(trainer, [poll, practice], starts_at=utcnow() - timedelta(minutes=5))
    enrol(ts, make_learner(trainer))
    return ts, poll, practice


class Board:
    """A subscriber to one session's board channel."""

    def __init__(self, session_id: int) -> None:
        self.pubsub = redis_store.connection.pubsub()
        self.pubsub.subscribe(board.channel_name(session_id))
        self.pubsub.get_message(timeout=2)

    def next(self, within: float = 1.0) -> dict:
        """The next event, which must arrive within `within` seconds."""
        started = time.monotonic()
        message = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=within)
        assert message is not None and time.monotonic() - started <= within
        return json.loads(message["data"])


def test_a_question_refiled_as_a_practice_report_and_back(app, client, trainer, api, live):
    ts, _, practice = live
    post_sms(client, app, "I tried it at lunch and it worked")
    question_id = api.get(f"/sessions/{ts.id}/questions").get_json()["items"][0]["id"]
    watcher = Board(ts.id)
    try:
        moved = api.patch(f"/questions/{question_id}", json={"kind": "practice_report"})
        assert moved.status_code == 201, moved.get_json()
        assert watcher.next() == {"type": "question_removed", "id": question_id}
        reply = moved.get_json()
        assert (reply["kind"], reply["step_id"], reply["body"]) == (
            "practice_report",
            practice.id,
            "I tried it at lunch and it worked",
        )
        assert api.get(f"/sessions/{ts.id}/questions").get_json()["items"] == []
        assert [r["id"] for r in api.get(f"/sessions/{ts.id}/replies?kind=practice_report").get_json()["items"]] == [
            reply["id"]
        ]
        back = api.patch(f"/replies/{reply['id']}", json={"kind": "live_question"})
        assert back.status_code == 201, back.get_json()
        event = watcher.next()
    finally:
        watcher.pubsub.close()
    assert event["type"] == "question" and event["question"]["id"] == back.get_json()["id"]
    assert event["question"]["body"] == "I tried it at lunch and it worked"
    assert [q["body"] for q in api.get(f"/sessions/{ts.id}/questions").get_json()["items"]] == [
        "I tried it at lunch and it worked"
    ]
    assert api.get(f"/sessions/{ts.id}/replies").get_json()["items"] == []
    moves = db.session.scalars(select(Refiling).order_by(Refiling.id)).all()
    assert [(m.from_kind, m.to_kind, m.moved_by_id) for m in moves] == [
        ("live_question", "practice_report", trainer.id),
        ("practice_report", "live_question", trainer.id),
    ]
    assert moves[0].from_item == f"question:{question_id}" and moves[1].to_item == f"question:{back.get_json()['id']}"


def test_a_question_refiled_as_a_vote_counts_and_moving_it_away_uncounts_it(app, client, api, live):
    ts, poll, _ = live
    post_sms(client, app, "listen")  # no poll was sent to this learner: a question
    question_id = api.get(f"/sessions/{ts.id}/questions").get_json()["items"][0]["id"]
    vote = api.patch(f"/questions/{question_id}", json={"kind": "poll_vote", "step_id": poll.id})
    assert vote.status_code == 201 and vote.get_json()["choice_index"] == 1
    results = api.get(f"/sessions/{ts.id}/poll-results").get_json()["polls"][0]
    assert [c["votes"] for c in results["choices"]] == [0, 1]
    changed = api.patch(f"/replies/{vote.get_json()['id']}", json={"kind": "poll_vote", "choice_index": 0})
    assert changed.status_code == 200 and changed.get_json()["choice_index"] == 0
    assert [c["votes"] for c in api.get(f"/sessions/{ts.id}/poll-results").get_json()["polls"][0]["choices"]] == [1, 0]
    assert api.patch(f"/replies/{vote.get_json()['id']}", json={"kind": "unclassified"}).status_code == 200
    assert [c["votes"] for c in api.get(f"/sessions/{ts.id}/poll-results").get_json()["polls"][0]["choices"]] == [0, 0]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "poll_vote"}, "choice_index"),  # the session's only poll, but the text names no choice
        ({"kind": "poll_vote", "step_id": 999}, "step_id"),
        ({"kind": "poll_vote", "choice_index": 5}, "choice_index"),
        ({"kind": "quiz_answer"}, "step_id"),  # the session has no quiz
        ({"kind": "shouting"}, "kind"),
        ({"kind": "practice_report", "extra": 1}, "extra"),
    ],
)
def test_a_bad_move_is_refused_and_changes_nothing(app, client, api, live, body, field):
    ts, poll, _ = live
    post_sms(client, app, "What about remote teams?")
    question_id = api.get(f"/sessions/{ts.id}/questions").get_json()["items"][0]["id"]
    answer = api.patch(f"/questions/{question_id}", json=body)
    assert answer.status_code == 422 and answer.get_json()["details"][0]["field"] == field
    assert db.session.get(LiveQuestion, question_id) is not None
    assert db.session.scalar(select(func.count()).select_from(Reply)) == 0
    assert db.session.scalar(select(func.count()).select_from(Refiling)) == 0


def test_another_trainers_texts_are_not_found(app, client, api, other_api, live):
    ts, _, _ = live
    post_sms(client, app, "Mine")
    question_id = api.get(f"/sessions/{ts.id}/questions").get_json()["items"][0]["id"]
    assert other_api.patch(f"/questions/{question_id}", json={"kind": "unclassified"}).status_code == 404
    moved = api.patch(f"/questions/{question_id}", json={"kind": "unclassified"}).get_json()
    assert other_api.patch(f"/replies/{moved['id']}", json={"kind": "live_question"}).status_code == 404
    assert api.patch(f"/replies/{moved['id']}", json={}).status_code == 422
