"""The cohort page /c/<token>: who may open it, what it shows and hides, posting, reading counts, votes."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from drip.extensions import db, redis_store
from drip.models import Enrollment, LiveQuestion, QuestionVote, Reply, session_sequences, utcnow
from drip.services.cohort import links
from drip.services.learners import rights
from drip.services.programs.enrolment import enrol as enrol_again
from tests.support.inbound_factory import enrol, make_learner, make_reply, make_session, make_step, sent_delivery
from tests.support.hosts import wait_until
from tests.web.test_api_support import api_for


def _cohort(trainer, *, starts_at=None, kind="discussion"):
    """A session with a discussion prompt sent to three learners; Ben's answer approved, Cy's not."""
    ts = make_session(trainer, starts_at=starts_at or utcnow() - timedelta(days=1, hours=3))
    step = make_step(trainer, kind, body="Hi {{ name }}: what went well? ({{ trainer.name }})")
    db.session.execute(session_sequences.insert(), [{"session_id": ts.id, "sequence_id": step.sequence_id}])
    ada = make_learner(trainer, "Ada Lovelace", phone="+14155550101", email="ada@example.com")
    ben = make_learner(trainer, "Ben Okafor", phone="+14155550102", email="ben@example.com")
    cy = make_learner(trainer, "Cy Tremblay", phone="+14155550103")
    for learner in (ada, ben, cy):
        sent_delivery(ts, learner, step)
    for learner, said, shared in ((ben, "Ben's approved <b>answer</b>", True), (cy, "Cy's unapproved answer", False)):
        make_reply(ts, learner, step, said, shared=shared)
    return ts, step, (ada, ben, cy)


def _token(ts, learner) -> str:
    return db.session.scalar(
        select(Enrollment.cohort_token).where(Enrollment.session_id == ts.id, Enrollment.learner_id == learner.id)
    )


def _form_token(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def test_a_learner_who_never_replied_reads_the_approved_answers_and_becomes_a_reader(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    token = _token(ts, ada)
    assert len(token) >= 22  # 128 bits and more, URL-safe
    response = client.get(f"/c/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in html
    assert "Ben&#39;s approved &lt;b&gt;answer&lt;/b&gt;" in html  # escaped learner text
    assert "Cy's unapproved" not in html and "Cy&#39;s unapproved" not in html
    for private in ("Lovelace", "Okafor", "Tremblay", "Trainer", "+1415", "example.com", "/sessions", "Dashboard"):
        assert private not in html, private
    assert "Hi Ada: what went well? (Tess)" in html  # the prompt as sent, first names only
    assert client.head(f"/c/{token}").status_code == 200  # a link checker: not a read
    engagement = api_for(client, trainer).get(f"/sessions/{ts.id}/engagement").get_json()
    states = {row["learner_id"]: row["state"] for row in engagement["learners"]}
    assert states[ada.id] == "reader"
    listed = api_for(client, trainer).get(f"/sessions/{ts.id}/enrollments").get_json()["items"]
    mine = next(row for row in listed if row["learner"]["id"] == ada.id)
    assert mine["cohort_views"] == 1 and mine["state"] == "reader"
    assert mine["cohort_url"] == f"http://127.0.0.1:5000/c/{token}"


def test_a_post_is_a_discussion_reply_hidden_from_peers_until_approved(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    token = _token(ts, ada)
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))
    assert client.post(f"/c/{token}/answers/{step.id}", data={"body": "No token"}).status_code == 400
    posted = client.post(f"/c/{token}/answers/{step.id}", data={"body": "Naming the behaviour", "form_token": form})
    assert posted.status_code == 303
    again = client.post(f"/c/{token}/answers/{step.id}", data={"body": "Naming the behaviour", "form_token": form})
    assert again.status_code == 303  # a double press, or sent again after a busy page: stored once
    own = client.get(f"/c/{token}").get_data(as_text=True)
    assert "Naming the behaviour" in own and "Waiting for the trainer" in own and own.count("Naming the behaviour") == 1
    assert "Naming the behaviour" not in client.get(f"/c/{_token(ts, ben)}").get_data(as_text=True)
    api = api_for(client, trainer)
    replies = api.get(f"/sessions/{ts.id}/replies").get_json()["items"]
    reply = next(r for r in replies if r["body"] == "Naming the behaviour")
    assert reply["kind"] == "discussion_reply" and reply["learner"]["id"] == ada.id
    assert api.patch(f"/replies/{reply['id']}", json={"shared": True}).status_code == 200
    assert "Naming the behaviour" in client.get(f"/c/{_token(ts, ben)}").get_data(as_text=True)
    states = {r["learner_id"]: r["state"] for r in api.get(f"/sessions/{ts.id}/engagement").get_json()["learners"]}
    assert states[ada.id] == "active"


def test_bad_posts_change_nothing(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    token = _token(ts, ada)
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))
    before = db.session.scalar(select(Reply.id).order_by(Reply.id.desc()).limit(1))
    assert client.post(f"/c/{token}/answers/{step.id}", data={"body": "  ", "form_token": form}).status_code == 422
    too_long = {"body": "x" * 1601, "form_token": form}
    assert client.post(f"/c/{token}/answers/{step.id}", data=too_long).status_code == 422
    assert client.post(f"/c/{token}/answers/999999", data={"body": "hi", "form_token": form}).status_code == 422
    other_site = {"Origin": "https://evil.example"}
    answer = {"body": "hi", "form_token": form}
    assert client.post(f"/c/{token}/answers/{step.id}", data=answer, headers=other_site).status_code == 400
    assert (
        client.post(f"/c/{token}/answers/{step.id}", data={"body": "y" * 20000, "form_token": form}).status_code == 413
    )
    db.session.expire_all()
    assert db.session.scalar(select(Reply.id).order_by(Reply.id.desc()).limit(1)) == before


def test_a_post_too_long_is_refused_in_the_learners_language(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    ada.language = "es"
    db.session.commit()
    token = _token(ts, ada)
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))
    refused = client.post(f"/c/{token}/answers/{step.id}", data={"body": "x" * 1601, "form_token": form})
    assert refused.status_code == 422
    assert "Escribe menos de 1600 caracteres." in refused.get_data(as_text=True)


def test_posts_are_rate_limited_per_link(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    token = _token(ts, ada)
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))
    codes = [
        client.post(f"/c/{token}/answers/{step.id}", data={"body": f"Answer {n}", "form_token": form}).status_code
        for n in range(11)
    ]
    assert codes == [303] * 10 + [429]
    assert db.session.scalar(select(Reply.id).where(Reply.body == "Answer 10")) is None
    ben_token = _token(ts, ben)
    ben_form = _form_token(client.get(f"/c/{ben_token}").get_data(as_text=True))
    assert (
        client.post(f"/c/{ben_token}/answers/{step.id}", data={"body": "Mine", "form_token": ben_form}).status_code
        == 303
    )


def test_dead_links_answer_the_learner_facing_404(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    real = _token(ts, ada)
    near = real[:-1] + ("B" if real.endswith("A") else "A")  # one character off

    def learner_facing_404(token):
        response = client.get(f"/c/{token}")
        page = response.get_data(as_text=True)
        return response.status_code == 404 and "This link does not work" in page and "Dashboard" not in page

    for guess in ("x" * 32, "short", near):
        assert learner_facing_404(guess)
    ben_token = _token(ts, ben)
    rights.erase_learner(ben, via="admin")
    assert learner_facing_404(ben_token)
    cy_token = _token(ts, cy)
    db.session.execute(
        Enrollment.__table__.update().where(Enrollment.learner_id == cy.id).values(unenrolled_at=utcnow())
    )
    db.session.commit()
    assert learner_facing_404(cy_token)
    enrol_again(ts, [cy])  # back in the session: a new link, the old one (forwarded meanwhile, maybe) stays dead
    db.session.commit()
    assert client.get(f"/c/{cy_token}").status_code == 404 and client.get(f"/c/{_token(ts, cy)}").status_code == 200
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.learner_id == ada.id))
    old = enrollment.cohort_token
    new = links.reissue(enrollment)
    assert client.get(f"/c/{old}").status_code == 404 and client.get(f"/c/{new}").status_code == 200


def test_links_expire_days_after_the_session_ends(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(days=10))
    token = _token(ts, ada)
    assert client.get(f"/c/{token}").status_code == 200
    ts.cohort_days_after = 5
    db.session.commit()
    assert client.get(f"/c/{token}").status_code == 404


def test_two_votes_then_one_taken_back(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="How do I start?", approved=True)
    hidden = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="Not approved yet", approved=False)
    db.session.add_all([question, hidden])
    db.session.commit()
    votes = []
    for learner in (ada, ben):
        token = _token(ts, learner)
        page = client.get(f"/c/{token}").get_data(as_text=True)
        assert "How do I start?" in page and "Not approved yet" not in page
        answer = client.post(
            f"/c/{token}/questions/{question.id}/vote",
            data={"form_token": _form_token(page)},
            headers={"Accept": "application/json"},
        )
        votes.append(answer.get_json())
    assert votes == [{"voted": True, "votes": 1}, {"voted": True, "votes": 2}]
    api = api_for(client, trainer)
    counted = {q["id"]: q["votes"] for q in api.get(f"/sessions/{ts.id}/questions").get_json()["items"]}
    assert counted[question.id] == 2
    token = _token(ts, ben)
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))
    back = client.post(f"/c/{token}/questions/{question.id}/vote", data={"form_token": form})
    assert back.status_code == 303
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question.id).votes == 1
    refused = client.post(
        f"/c/{token}/questions/{hidden.id}/vote", data={"form_token": form}, headers={"Accept": "application/json"}
    )
    assert refused.status_code == 404


def test_a_press_sent_twice_by_the_script_counts_once(app, client, trainer):
    """The page's script says which way it wants the button (want=on/off): a press sent again, after a busy
    answer it could not tell from a failure, changes nothing the second time."""
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="How do I start?", approved=True)
    db.session.add(question)
    db.session.commit()
    token = _token(ts, ada)
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))

    def press(want: str):
        url = f"/c/{token}/questions/{question.id}/vote"
        data = {"form_token": form, "want": want}
        return client.post(url, data=data, headers={"Accept": "application/json"}).get_json()

    assert [press("on"), press("on")] == [{"voted": True, "votes": 1}, {"voted": True, "votes": 1}]
    assert [press("off"), press("off")] == [{"voted": False, "votes": 0}, {"voted": False, "votes": 0}]
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question.id).votes == 0


def test_enrollments_list_is_the_trainers_own(app, client, trainer):
    from drip.services import accounts

    ts, step, learners = _cohort(trainer)
    other = api_for(app.test_client(), accounts.create_trainer("o@example.com", "another password", "Otto"))
    assert other.get(f"/sessions/{ts.id}/enrollments").status_code == 404
    enrol(make_session(trainer), make_learner(trainer, "Dee Elsewhere", phone="+14155550109"))
    items = api_for(client, trainer).get(f"/sessions/{ts.id}/enrollments").get_json()["items"]
    assert sorted(row["learner"]["name"] for row in items) == ["Ada Lovelace", "Ben Okafor", "Cy Tremblay"]
    assert [(row["state"], row["cohort_views"]) for row in items] == [("silent", 0), ("active", 0), ("active", 0)]
    assert len({row["cohort_url"] for row in items}) == 3


def test_cohort_page_settings_in_the_api_and_publishing_everything_at_once(app, client, trainer):
    api = api_for(client, trainer)
    body = {
        "title": "Open cohort",
        "starts_at": "2030-03-12T09:30:00Z",
        "ends_at": "2030-03-12T11:00:00Z",
        "timezone": "UTC",
    }
    created = api.post("/sessions", json=body).get_json()
    assert created["cohort_page"] == {"publish": "approved", "days_after": 90, "slides_early": False}
    bad = api.post("/sessions", json={**body, "cohort_page": {"publish": "everyone"}})
    assert bad.status_code == 422
    assert api.post("/sessions", json={**body, "cohort_page": {"days_after": -1}}).status_code == 422
    patched = api.patch(f"/sessions/{created['id']}", json={"cohort_page": {"publish": "all"}}).get_json()
    assert patched["cohort_page"] == {"publish": "all", "days_after": 90, "slides_early": False}
    ts, step, (ada, ben, cy) = _cohort(trainer)
    assert api.patch(f"/sessions/{ts.id}", json={"cohort_page": {"publish": "all"}}).status_code == 200
    page = client.get(f"/c/{_token(ts, ada)}").get_data(as_text=True)
    assert "Cy&#39;s unapproved answer" in page  # published at once
    token = _token(ts, ada)
    form = _form_token(page)
    client.post(f"/c/{token}/answers/{step.id}", data={"body": "Straight to the group", "form_token": form})
    assert "Waiting for the trainer" not in client.get(f"/c/{token}").get_data(as_text=True)
    assert "Straight to the group" in client.get(f"/c/{_token(ts, ben)}").get_data(as_text=True)


def test_the_board_orders_by_votes_and_tells_open_projectors(app, logged_in, trainer):
    from drip.services.board import board

    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    page = logged_in.get(f"/sessions/{ts.id}/board").get_data(as_text=True)
    assert 'data-order="votes"' in page and '"order": "time"' in page
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    url = f"/sessions/{ts.id}/board/order"
    assert logged_in.post(url, json={"order": "votes"}).status_code == 400  # no CSRF header
    assert logged_in.post(url, json={"order": "loudest"}, headers={"X-CSRFToken": csrf}).status_code == 400
    pubsub = redis_store.connection.pubsub()
    pubsub.subscribe(board.channel_name(ts.id))
    assert logged_in.post(url, json={"order": "votes"}, headers={"X-CSRFToken": csrf}).get_json() == {"order": "votes"}
    db.session.expire_all()
    assert db.session.get(type(ts), ts.id).question_order == "votes"
    events = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(e.get("order") == "votes" for e in events):
        message = pubsub.get_message(timeout=0.2)
        if message and message["type"] == "message":
            events.append(json.loads(message["data"]))
    assert any(e["type"] == "settings" and e["order"] == "votes" for e in events)
    pubsub.close()
    projector = logged_in.get(f"/sessions/{ts.id}/board/questions?view=projector").get_json()
    assert projector["order"] == "votes"


def test_the_room_json_is_the_learners_view_and_counts_no_read(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    shown = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="Mail me at cy@example.com", approved=True)
    waiting = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="Not yet approved")
    db.session.add_all([shown, waiting])
    db.session.commit()
    room = client.get(f"/c/{_token(ts, ada)}/room.json")
    assert room.headers["X-Robots-Tag"].startswith("noindex")
    assert room.get_json() == {
        "live": True,
        "poll": None,
        "questions": [{"id": shown.id, "body": "Mail me at [hidden]", "votes": 0, "voted": False}],
    }
    db.session.expire_all()
    assert db.session.scalar(select(Enrollment.cohort_views).where(Enrollment.learner_id == ada.id)) == 0
    assert client.get("/c/" + "y" * 32 + "/room.json").status_code == 404


def test_a_press_of_the_plain_form_sent_twice_counts_once(app, client, trainer):
    """Without the script, the page's own form says which way the press goes, for this reader: sent again (after
    a busy page that could not say whether it got through) it changes nothing."""
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="How do I start?", approved=True)
    db.session.add(question)
    db.session.commit()
    token = _token(ts, ada)

    def page_form(reader=ada) -> dict:
        page = client.get(f"/c/{_token(ts, reader)}").get_data(as_text=True)
        form = page[page.index(f'<li id="question-{question.id}">') :].split("</form>")[0]
        return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))

    pressed = page_form()
    assert pressed["want"] == "on" and pressed["form_token"] == _form_token(
        client.get(f"/c/{token}").get_data(as_text=True)
    )
    for _ in range(2):
        assert client.post(f"/c/{token}/questions/{question.id}/vote", data=pressed).status_code == 303
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question.id).votes == 1
    taken_back = page_form()
    assert taken_back["want"] == "off" and page_form(ben)["want"] == "on"  # each reader's own way
    for _ in range(2):
        assert client.post(f"/c/{token}/questions/{question.id}/vote", data=taken_back).status_code == 303
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question.id).votes == 0 and page_form()["want"] == "on"


def test_a_forged_origin_that_is_no_address_is_refused_not_an_error(app, client, trainer):
    ts, step, (ada, ben, cy) = _cohort(trainer)
    token = _token(ts, ada)
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))
    sent = client.post(
        f"/c/{token}/answers/{step.id}", data={"body": "Hi", "form_token": form}, headers={"Origin": "http://["}
    )
    assert sent.status_code == 400 and db.session.query(Reply).filter_by(learner_id=ada.id).count() == 0


def _waiting_for_a_lock() -> int:
    """Sessions of this database waiting for a lock now (a connection of its own: pg_stat_activity is a snapshot
    per transaction)."""
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    with db.engine.connect() as probe:
        return probe.execute(text(waiting)).scalar()


def test_a_vote_while_the_trainer_hides_the_question_waits_and_is_refused(app, client, trainer):
    """The trainer's hide holds the question's row: the vote waits for it, then finds the question closed."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: SQLite runs one writer at a time")
    ts, step, (ada, ben, cy) = _cohort(trainer, starts_at=utcnow() - timedelta(minutes=10))
    question = LiveQuestion(session_id=ts.id, learner_id=cy.id, body="How do I start?", approved=True)
    db.session.add(question)
    db.session.commit()
    token, question_id = _token(ts, ada), question.id
    form = _form_token(client.get(f"/c/{token}").get_data(as_text=True))
    answers = []

    def vote():
        url = f"/c/{token}/questions/{question_id}/vote"
        sent = client.post(url, data={"form_token": form, "want": "on"}, headers={"Accept": "application/json"})
        answers.append(sent.status_code)

    with db.engine.connect() as board:
        board.execute(update(LiveQuestion).where(LiveQuestion.id == question_id).values(hidden=True))  # not committed
        voter = threading.Thread(target=vote)
        voter.start()
        wait_until(lambda: _waiting_for_a_lock() or None, 10, "the vote waiting for the hide")
        board.commit()
    voter.join(timeout=10)
    assert answers == [404]
    db.session.expire_all()
    assert db.session.get(LiveQuestion, question_id).votes == 0
    assert db.session.query(QuestionVote).filter_by(question_id=question_id).count() == 0


def test_a_name_pasted_with_a_non_breaking_space_shows_no_surname(app, client, trainer):
    """Names copied from a spreadsheet often hold a non-breaking space or a tab: still the first name only,
    under a peer's answer and in the learner's own greeting."""
    ts, step, (ada, ben, cy) = _cohort(trainer)
    step.sequence.digest_by = "first_name"
    ben.name, ada.name = "Ben\u00a0Okafor", "Ada\tLovelace"
    db.session.commit()
    page = client.get(f"/c/{_token(ts, ada)}").get_data(as_text=True)
    assert "Ben&#39;s approved &lt;b&gt;answer&lt;/b&gt;" in page and '<p class="by">Ben</p>' in page
    for surname in ("Okafor", "Lovelace"):
        assert surname not in page


def test_an_error_on_a_cohort_page_is_logged_without_the_learners_token(app, client, trainer, monkeypatch, caplog):
    from drip.web import cohort as cohort_views

    ts, step, (ada, ben, cy) = _cohort(trainer)
    token = _token(ts, ada)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cohort_views, "_render", broken)
    with caplog.at_level("ERROR"):
        assert client.get(f"/c/{token}").status_code == 500
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "Unhandled error on GET /c/<token>" in logged and token not in logged
