"""The board's JSON endpoints for live polls and re-filing: the projector switch and filing a question."""

from __future__ import annotations


from sqlalchemy import select

from drip.extensions import db
from drip.models import LiveQuestion, Refiling, Reply, TrainingSession
from drip.services import accounts
from tests.conftest import csrf_token
from tests.support.inbound_factory import post_sms
from tests.web.test_refile_api import live  # noqa: F401  (fixture)


def test_the_projector_switches_to_a_poll_and_back(app, logged_in, live):
    ts, poll, practice = live
    token = csrf_token(logged_in, f"/sessions/{ts.id}/board")
    url = f"/sessions/{ts.id}/board/projector"
    answer = logged_in.post(url, json={"poll": poll.id}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["projector_poll"] == poll.id
    snapshot = logged_in.get(f"/sessions/{ts.id}/board/questions?view=projector").get_json()
    assert snapshot["projector_poll"] == poll.id and snapshot["polls"][0]["question"] == "Which?"
    for bad, status in (({"poll": practice.id}, 404), ({"poll": "1"}, 400), ({"poll": True}, 400)):
        assert logged_in.post(url, json=bad, headers={"X-CSRFToken": token}).status_code == status
    assert logged_in.post(url, json={"poll": poll.id}).status_code == 400  # no CSRF token
    assert logged_in.post(url, json={"poll": None}, headers={"X-CSRFToken": token}).get_json()["projector_poll"] is None
    assert db.session.get(TrainingSession, ts.id).projector_poll_step_id is None


def test_filing_a_question_from_the_board(app, logged_in, trainer, live):
    ts, poll, _ = live
    post_sms(logged_in, app, "listen")
    question = db.session.scalars(select(LiveQuestion)).one()
    token = csrf_token(logged_in, f"/sessions/{ts.id}/board")
    url = f"/sessions/{ts.id}/board/questions/{question.id}/refile"
    for bad in ({"target": "nonsense"}, {"target": f"poll_vote:{poll.id}:7"}, {}):
        answer = logged_in.post(url, json=bad, headers={"X-CSRFToken": token})
        assert answer.status_code == 422 and answer.get_json()["error"] == "Not moved"
    assert db.session.scalars(select(Refiling)).all() == []
    answer = logged_in.post(url, json={"target": f"poll_vote:{poll.id}:1"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["kind"] == "poll_vote"
    vote = db.session.scalars(select(Reply)).one()
    assert (vote.kind, vote.step_id, vote.choice_index, vote.body) == ("poll_vote", poll.id, 1, "listen")
    assert db.session.scalars(select(LiveQuestion)).all() == []
    polls = logged_in.get(f"/sessions/{ts.id}/board/questions").get_json()["polls"]
    assert [choice["votes"] for choice in polls[0]["choices"]] == [0, 1]


def test_another_trainer_cannot_file_or_switch(app, client, live):
    ts, poll, _ = live
    post_sms(client, app, "A question")
    question = db.session.scalars(select(LiveQuestion)).one()
    accounts.create_trainer("other@example.com", "another password", "Otto")
    client.post(
        "/login", data={"email": "other@example.com", "password": "another password", "csrf_token": csrf_token(client)}
    )
    token = csrf_token(client, "/sessions")
    refile = f"/sessions/{ts.id}/board/questions/{question.id}/refile"
    assert client.post(refile, json={"target": "unclassified"}, headers={"X-CSRFToken": token}).status_code == 404
    projector = f"/sessions/{ts.id}/board/projector"
    assert client.post(projector, json={"poll": poll.id}, headers={"X-CSRFToken": token}).status_code == 404
    assert db.session.get(LiveQuestion, question.id) is not None
