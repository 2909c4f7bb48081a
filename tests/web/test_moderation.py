"""Session moderation (issue 22, DESIGN.md "The room"): approve first by default, or open; the
learner's acknowledgement says what really happened; the API reads and writes it."""

from __future__ import annotations

import pytest

from drip.domain import catalog
from drip.extensions import db
from drip.models import LiveQuestion, OutboxMessage
from tests.conftest import csrf_token
from tests.support.inbound_factory import enrol, make_learner, make_session, post_sms
from tests.web.test_api_sessions import new_session
from tests.web.test_api_support import api  # noqa: F401


@pytest.fixture()
def room(app, trainer):
    ts = make_session(trainer)
    enrol(ts, make_learner(trainer, "Ada Lovelace"))
    return ts


def ask(app, body: str) -> tuple[LiveQuestion, str]:
    """Text a question as Ada (routed by a worker, as live questions are); the question and what Ada got back."""
    response = post_sms(app.test_client(), app, body)
    assert response.status_code == 200
    question = db.session.query(LiveQuestion).order_by(LiveQuestion.id.desc()).first()
    answer = db.session.query(OutboxMessage).order_by(OutboxMessage.id.desc()).first()
    return question, answer.body if answer else ""


def projected(logged_in, ts) -> list[str]:
    """The texts the projector shows (its snapshot leaves out what is not on it)."""
    data = logged_in.get(f"/sessions/{ts.id}/board/questions?view=projector").json
    return [q["body"] for q in data["questions"] if q["on_projector"] and q["body"]]


def test_a_new_session_approves_first_and_says_so(app, logged_in, room):
    assert room.moderation == "approve"
    question, answer = ask(app, "not sure")
    assert answer == "Thanks, the trainer has your question."
    board = logged_in.get(f"/sessions/{room.id}/board/questions").json
    assert [q["body"] for q in board["questions"]] == ["not sure"]  # the trainer sees it at once
    assert projected(logged_in, room) == []  # the room does not, not even in the page's data
    assert "not sure" not in logged_in.get(f"/sessions/{room.id}/projector").get_data(as_text=True)

    token = csrf_token(logged_in, f"/sessions/{room.id}/board")
    url = f"/sessions/{room.id}/board/questions/{question.id}"
    marked = logged_in.post(url, json={"mark": "approved", "value": True}, headers={"X-CSRFToken": token})
    assert marked.status_code == 200 and marked.json["on_projector"] is True
    assert projected(logged_in, room) == ["not sure"]


def test_an_open_session_projects_at_once_as_before(app, logged_in, room):
    room.moderation = "open"
    db.session.commit()
    _, answer = ask(app, "How do I start?")
    assert answer == "Thanks, your question is on the board."
    assert projected(logged_in, room) == ["How do I start?"]


def test_the_trainers_own_acknowledgement_wins_either_way(app, logged_in, room):
    token = csrf_token(logged_in, f"/sessions/{room.id}/board")
    logged_in.post(
        f"/sessions/{room.id}/board/settings",
        data={"csrf_token": token, "moderation": "approve", "acknowledgement": "Merci !"},
    )
    assert ask(app, "Is it recorded?")[1] == "Merci !"
    bad = logged_in.post(f"/sessions/{room.id}/board/settings", data={"csrf_token": token, "moderation": "loud"})
    assert bad.status_code == 400
    db.session.expire_all()
    assert room.moderation == "approve"


def test_the_board_names_the_keys_and_marks_waiting_questions(app, logged_in, room):
    page = logged_in.get(f"/sessions/{room.id}/board").get_data(as_text=True)
    assert "<kbd>A</kbd> approve" in page and 'aria-keyshortcuts="A S D H"' in page
    assert 'id="moderation-approve" value="approve" checked' in page


def test_the_session_form_sets_moderation(app, logged_in, trainer):
    token = csrf_token(logged_in, "/sessions/new")
    form = {
        "csrf_token": token,
        "title": "Open floor",
        "starts": "2030-01-10T09:00",
        "ends": "2030-01-10T11:00",
        "timezone": "Europe/Paris",
        "moderation": "open",
    }
    assert logged_in.post("/sessions/new", data=form).status_code == 302
    from drip.models import TrainingSession

    assert db.session.query(TrainingSession).filter_by(title="Open floor").one().moderation == "open"
    assert logged_in.post("/sessions/new", data={**form, "moderation": "x"}).status_code == 422


def test_the_api_reads_and_writes_moderation(api):  # noqa: F811
    created = new_session(api)
    assert created.status_code == 201 and created.json["moderation"] == "approve"
    session_id = created.json["id"]
    assert api.patch(f"/sessions/{session_id}", json={"moderation": "open"}).json["moderation"] == "open"
    assert api.get(f"/sessions/{session_id}").json["moderation"] == "open"
    assert api.patch(f"/sessions/{session_id}", json={"title": "Renamed"}).json["moderation"] == "open"
    refused = api.patch(f"/sessions/{session_id}", json={"moderation": "shout"})
    assert refused.status_code == 422
    assert new_session(api, moderation="open").json["moderation"] == "open"


def test_questions_in_the_api_carry_approved(app, api, trainer):  # noqa: F811
    ts = make_session(trainer)
    enrol(ts, make_learner(trainer))
    question, _ = ask(app, "Why?")
    assert api.get(f"/sessions/{ts.id}/questions").json["items"][0]["approved"] is False


def test_every_moderation_has_its_own_words():
    assert catalog.acknowledgement("approve", "") == "Thanks, the trainer has your question."
    assert catalog.acknowledgement("open", "  ") == "Thanks, your question is on the board."
    assert catalog.acknowledgement("open", "Got it") == "Got it"
