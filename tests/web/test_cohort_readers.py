"""Many readers of the cohort page: over HTTP, they take turns and never hold up a webhook (issue 24, item 7)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import requests
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

from sqlalchemy import select, update

from drip.extensions import db
from drip.models import LiveQuestion, utcnow
from drip.services.board import board
from drip.services.cohort import refresh
from drip.services.cohort.room_rows import KEY, MAX_AGE, RoomRows
from drip.web import reader_gate
from drip.web.reader_gate import ReaderGate
from tests.conftest import login
from tests.support.statements import Statements
from tests.web.test_cohort_page import _cohort, _form_token, _token

AUTH_TOKEN = "readers-auth-token"
STATUS_PATH = "/webhooks/twilio/status"


@pytest.fixture()
def served(app):
    """The app on a free port (threads: the test client would not run two requests at once); yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config.update(TWILIO_AUTH_TOKEN=AUTH_TOKEN, PUBLIC_BASE_URL=base)
    yield base
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _gate(app) -> ReaderGate:
    layer = app.wsgi_app
    while not isinstance(layer, ReaderGate):
        layer = layer.wsgi_app
    return layer


def _status_callback(base: str, n: int) -> requests.Response:
    form = {"MessageSid": f"SM{n:032x}", "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(base + STATUS_PATH, form)
    return requests.post(base + STATUS_PATH, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)


def test_with_every_reader_slot_taken_a_reader_gets_503_and_the_webhooks_are_served_at_once(app, served, trainer):
    ts, _, (ada, _, _) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    page = f"{served}/c/{_token(ts, ada)}"
    assert requests.get(page + "/room.json", timeout=10).status_code == 200
    gate = _gate(app)
    app_wait = gate.wait
    gate.wait = 2.0
    turns = gate.turns()
    for _ in range(gate.slots):  # as if that many readers were inside the app now
        assert turns.acquire(timeout=5)
    try:
        room = requests.get(page + "/room.json", timeout=10)  # answered from memory: it takes no turn
        assert room.status_code == 200 and "no-store" in room.headers["Cache-Control"]
        app.extensions.pop(refresh.KEY)  # now the refresh must read the session's links: it waits for a turn
        for path in ("/room.json", ""):
            busy = requests.get(page + path, timeout=10)
            assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
            assert busy.headers["Cache-Control"] == "no-store" and "noindex" in busy.headers["X-Robots-Tag"]
            assert '<html lang="en">' in busy.text and "open again by itself in 5 seconds" in busy.text
        # in the language the phone's browser asks for, when Drip speaks it; reloading the page itself
        spanish = requests.get(page, headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}, timeout=10)
        assert spanish.status_code == 503 and '<html lang="es">' in spanish.text
        assert "Se volverá a abrir sola dentro de 5 segundos" in spanish.text
        assert f'content="5; url=/c/{_token(ts, ada)}"' in spanish.text
        unknown = requests.get(page, headers={"Accept-Language": "ja"}, timeout=10)
        assert '<html lang="en">' in unknown.text
        not_sent = gate.busy(f"/c/{_token(ts, ada)}/questions/1/vote", "POST", "de-AT").decode()  # a post waits longer
        assert '<html lang="de">' in not_sent and "Noch nicht gesendet" in not_sent and "refresh" not in not_sent
        for n in range(5):  # every turn is held: a webhook that waited for one would time out or end in 503
            assert _status_callback(served, n).status_code == 204
        assert requests.get(served + "/login", timeout=10).status_code == 200  # nor does the admin
    finally:
        for _ in range(gate.slots):
            turns.release()
        gate.wait = app_wait
    assert requests.get(page + "/room.json", timeout=10).status_code == 200


def _vote(client, token: str, question_id: int) -> dict:
    """Vote as the page's own form does: its action, its form token."""
    page = client.get(f"/c/{token}").get_data(as_text=True)
    action = re.search(rf'action="([^"]+/questions/{question_id}/vote)"', page).group(1)
    assert action == f"/c/{token}/questions/{question_id}/vote"
    answer = client.post(action, data={"form_token": _form_token(page)}, headers={"Accept": "application/json"})
    return answer.get_json()


def test_an_unchanged_room_is_a_bodiless_304_and_any_change_a_new_etag(app, client, trainer):
    ts, _, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="How do I start?", approved=True)
    db.session.add(question)
    db.session.commit()
    room = f"/c/{_token(ts, ada)}/room.json"
    first = client.get(room)
    etag = first.headers["ETag"]
    again = client.get(room, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert again.headers["X-Robots-Tag"].startswith("noindex") and "no-store" in again.headers["Cache-Control"]
    assert client.get(f"/c/{_token(ts, ben)}/room.json", headers={"If-None-Match": etag}).status_code == 304

    assert _vote(client, _token(ts, ben), question.id) == {"voted": True, "votes": 1}  # a peer's vote
    counted = client.get(room, headers={"If-None-Match": etag})
    assert counted.status_code == 200 and counted.get_json()["questions"][0]["votes"] == 1
    assert _vote(client, _token(ts, ada), question.id) == {"voted": True, "votes": 2}  # and their own
    mine = client.get(room, headers={"If-None-Match": counted.headers["ETag"]})
    assert mine.status_code == 200 and mine.get_json()["questions"][0] == {
        "id": question.id,
        "body": "How do I start?",
        "votes": 2,
        "voted": True,
    }
    board.mark(question, "hidden", True)  # the trainer hides it: gone at the next refresh
    hidden = client.get(room, headers={"If-None-Match": mine.headers["ETag"]})
    assert hidden.status_code == 200 and hidden.get_json()["questions"] == []


def test_a_change_made_in_another_process_reaches_the_room_within_half_a_second(app, client, trainer):
    """The room's rows are read once per half second per process: what a worker changes shows after that."""
    ts, _, (ada, _, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="Call +1 415 555 0199?", approved=True)
    db.session.add(question)
    db.session.commit()
    now = [1000.0]
    app.extensions[KEY] = RoomRows(clock=lambda: now[0])
    room = f"/c/{_token(ts, ada)}/room.json"
    assert client.get(room).get_json()["questions"][0]["body"] == "Call [hidden]?"
    question.votes = 5  # as a worker's batch of texted votes would, with no event in this process
    db.session.commit()
    now[0] += MAX_AGE / 2
    assert client.get(room).get_json()["questions"][0]["votes"] == 0
    now[0] += MAX_AGE
    assert client.get(room).get_json()["questions"][0]["votes"] == 5
    question.hidden = True
    db.session.commit()
    now[0] += MAX_AGE
    assert client.get(room).get_json()["questions"] == []
    page = client.get(f"/c/{_token(ts, ada)}").get_data(as_text=True)
    assert "Call [hidden]?" not in page and "+1 415" not in page


def test_a_reader_gives_way_after_each_read_and_nothing_else_does(app, client, trainer, monkeypatch):
    ts, _, (ada, _, _) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    gave_way = []
    monkeypatch.setattr(reader_gate, "others_first", lambda: gave_way.append(1))
    with Statements() as seen:
        assert client.get(f"/c/{_token(ts, ada)}").status_code == 200
    reads = 0 if db.engine.dialect.name == "sqlite" else 2  # SQLite waits for its locks in C: it never gives way
    assert seen.count > 2 and len(gave_way) >= 1 + reads  # as it is let in, after its reads, as its template goes
    gave_way.clear()
    assert login(client).status_code == 302
    with Statements() as seen:
        assert client.get(f"/sessions/{ts.id}").status_code == 200  # the trainer's page of the same session
    assert seen.count > 0 and gave_way == []  # the admin and everything else never wait for the loop


def test_a_reader_never_gives_way_once_it_has_written(app, monkeypatch):
    gave_way = []
    monkeypatch.setattr(reader_gate, "others_first", lambda: gave_way.append(1))
    reading = reader_gate._reading.set(reader_gate.ReaderRequest())  # as inside the reader gate
    try:
        with db.engine.connect() as connection:
            connection.execute(select(LiveQuestion.id))  # a read: it gives way (PostgreSQL)
            connection.execute(select(LiveQuestion.id))
            reads = len(gave_way)
            connection.execute(update(LiveQuestion).values(votes=LiveQuestion.votes + 1))  # a write: row locks
            connection.execute(select(LiveQuestion.id))  # the locks are held until the transaction ends
            connection.rollback()
            connection.execute(select(LiveQuestion.id))  # and the rest of the request is short: no more turns
            connection.rollback()
    finally:
        reader_gate._reading.reset(reading)
    with db.engine.connect() as connection:
        connection.execute(select(LiveQuestion.id).with_for_update())  # outside the gate: never
        connection.rollback()
    assert (reads, len(gave_way)) == ((0, 0) if db.engine.dialect.name == "sqlite" else (2, 2))
