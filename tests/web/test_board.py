"""The live board, its event stream and the projector: ownership, marks, anonymity."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from drip.extensions import db
from drip.models import LiveQuestion, OutboxMessage
from drip.services.board import stream as board_stream
from tests.conftest import csrf_token
from tests.support.inbound_factory import enrol, make_learner, make_session, post_sms


@pytest.fixture()
def live(app, trainer):
    ts = make_session(trainer, join_keyword="SBI")
    ts.moderation = "open"  # these tests follow questions straight to the projector (test_moderation: approve)
    enrol(ts, make_learner(trainer, "Ada Lovelace"))
    return ts


def ask(app, body="How do I start?"):
    response = post_sms(app.test_client(), app, body)
    assert response.status_code == 200
    return db.session.query(LiveQuestion).order_by(LiveQuestion.id.desc()).first()


def test_board_shows_the_questions_escaped(app, logged_in, live):
    ask(app, "<script>alert(1)</script>")
    page = logged_in.get(f"/sessions/{live.id}/board").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page  # inside the JSON snapshot
    assert "Ada Lovelace" in page and "SBI" in page


def test_projector_carries_no_names(app, logged_in, live):
    ask(app)
    page = logged_in.get(f"/sessions/{live.id}/projector").get_data(as_text=True)
    assert "How do I start?" in page and "Ada Lovelace" not in page
    data = logged_in.get(f"/sessions/{live.id}/board/questions?view=projector").json
    assert "learner_name" not in data["questions"][0]


def test_another_trainers_board_is_not_found(app, logged_in, live):
    from drip.services import accounts

    other = accounts.create_trainer("other@example.com", "another long password", "Olga")
    theirs = make_session(other)
    question = LiveQuestion(session_id=theirs.id, body="theirs")
    db.session.add(question)
    db.session.commit()
    token = csrf_token(logged_in, f"/sessions/{live.id}/board")
    for path in (
        f"/sessions/{theirs.id}/board",
        f"/sessions/{theirs.id}/projector",
        f"/sessions/{theirs.id}/board/events",
        f"/sessions/{theirs.id}/board/questions",
    ):
        assert logged_in.get(path).status_code == 404, path
    response = logged_in.post(
        f"/sessions/{theirs.id}/board/questions/{question.id}",
        json={"mark": "hidden", "value": True},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 404
    # Their question through my session's URL is not found either.
    response = logged_in.post(
        f"/sessions/{live.id}/board/questions/{question.id}",
        json={"mark": "hidden", "value": True},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 404 and db.session.get(LiveQuestion, question.id).hidden is False


def test_marks_need_csrf_and_valid_input(app, logged_in, live):
    question = ask(app)
    url = f"/sessions/{live.id}/board/questions/{question.id}"
    assert logged_in.post(url, json={"mark": "starred", "value": True}).status_code == 400
    token = csrf_token(logged_in, f"/sessions/{live.id}/board")
    assert (
        logged_in.post(url, json={"mark": "deleted", "value": True}, headers={"X-CSRFToken": token}).status_code == 400
    )
    assert (
        logged_in.post(url, json={"mark": "starred", "value": "yes"}, headers={"X-CSRFToken": token}).status_code == 400
    )
    for mark in ("answered", "starred", "hidden", "approved"):
        response = logged_in.post(url, json={"mark": mark, "value": True}, headers={"X-CSRFToken": token})
        assert response.status_code == 200 and response.json[mark] is True
    db.session.expire_all()
    saved = db.session.get(LiveQuestion, question.id)
    assert (saved.answered, saved.starred, saved.hidden, saved.approved) == (True, True, True, True)


def test_settings_change_the_projector_and_acknowledgement(app, logged_in, live):
    token = csrf_token(logged_in, f"/sessions/{live.id}/board")
    response = logged_in.post(
        f"/sessions/{live.id}/board/settings",
        data={"csrf_token": token, "moderation": "approve", "acknowledgement": "Got it!"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert live.moderation == "approve" and live.acknowledgement == "Got it!"
    assert post_sms(app.test_client(), app, "q?").status_code == 200  # routed by a worker: answered by the SMS API
    sent = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.to_address == "+14155550101")).all()
    assert sent == ["Got it!"]


def test_board_pages_need_login(client, live):
    for path in (f"/sessions/{live.id}/board", f"/sessions/{live.id}/projector", f"/sessions/{live.id}/board/events"):
        assert client.get(path).status_code == 302


def read_events(response, want: int, deadline: float = 5.0) -> list[dict]:
    """Read SSE data events from a streamed response until `want` arrived or the deadline passed."""
    events, buffer, stop = [], b"", time.monotonic() + deadline
    chunks = iter(response.response)
    while len(events) < want and time.monotonic() < stop:
        buffer += next(chunks)
        while b"\n\n" in buffer:
            frame, buffer = buffer.split(b"\n\n", 1)
            events += [json.loads(line[6:]) for line in frame.split(b"\n") if line.startswith(b"data: ")]
    return events


def test_the_event_stream_sends_a_snapshot_then_new_questions(app, logged_in, live):
    ask(app, "before the stream")
    response = logged_in.get(f"/sessions/{live.id}/board/events", buffered=False)
    try:
        assert response.mimetype == "text/event-stream"
        [snapshot] = read_events(response, 1)
        assert [q["body"] for q in snapshot["questions"]] == ["before the stream"]
        ask(app, "during the stream")
        [event] = read_events(response, 1)
        assert event["type"] == "question" and event["question"]["body"] == "during the stream"
        assert event["question"]["learner_name"] == "Ada Lovelace"
    finally:
        response.close()
    assert board_stream.slots.active == 0


def test_the_projector_stream_is_anonymous_and_blanks_hidden_questions(app, logged_in, live):
    question = ask(app, "rude words")
    question.hidden = True
    db.session.commit()
    response = logged_in.get(f"/sessions/{live.id}/board/events?view=projector", buffered=False)
    try:
        [snapshot] = read_events(response, 1)
        assert snapshot["questions"] == [{**snapshot["questions"][0], "body": ""}]
        assert "learner_name" not in snapshot["questions"][0]
    finally:
        response.close()


def test_streams_are_capped_per_process_and_end_by_themselves(app, logged_in, live):
    app.config.update(BOARD_STREAMS_PER_PROCESS=1, BOARD_STREAM_SECONDS=1.5, BOARD_HEARTBEAT_SECONDS=0.5)
    first = logged_in.get(f"/sessions/{live.id}/board/events", buffered=False)
    try:
        refused = logged_in.get(f"/sessions/{live.id}/board/events")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
        started = time.monotonic()
        frames = list(first.response)  # the stream ends on its own after BOARD_STREAM_SECONDS
        assert time.monotonic() - started < 5
        assert b": heartbeat\n\n" in frames
    finally:
        first.close()
    assert board_stream.slots.active == 0
    second = logged_in.get(f"/sessions/{live.id}/board/events", buffered=False)
    assert second.status_code == 200
    second.close()


def test_stop_all_ends_open_streams(app, logged_in, live):
    response = logged_in.get(f"/sessions/{live.id}/board/events", buffered=False)
    try:
        chunks = iter(response.response)
        next(chunks)
        board_stream.stop_all()
        started = time.monotonic()
        assert list(chunks) == [] and time.monotonic() - started < 3
    finally:
        response.close()


def test_the_board_says_when_it_opens(app, logged_in, trainer):
    from datetime import timedelta

    from drip.models import utcnow

    later = make_session(trainer, starts_at=utcnow() + timedelta(days=2))
    assert "The board opens at" in logged_in.get(f"/sessions/{later.id}/board").get_data(as_text=True)
    ended = make_session(trainer, starts_at=utcnow() - timedelta(days=2))
    assert "This session has ended" in logged_in.get(f"/sessions/{ended.id}/board").get_data(as_text=True)
